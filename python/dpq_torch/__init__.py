"""dpq's DPQ model as a PyTorch module.

`DPQ` builds the same module tree as dpq (state-dict names and layouts equal dpq's for every
backbone and option), `save_dpq` writes a model file dpq's `load_model` reads, and `load_dpq`
reads one dpq wrote. docs/interop.md shows the whole path.
"""
from .model import DPQ, dpq_losses
from .files import save_dpq, load_dpq, configuration_of, from_configuration

__all__ = ["DPQ", "dpq_losses", "save_dpq", "load_dpq", "configuration_of", "from_configuration"]
