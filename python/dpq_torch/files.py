"""dpq model files from PyTorch and back: safetensors with dpq's configuration in the metadata
(Sources/DPQQuantization/DPQModel+File.swift). dpq also reads a plain `save_file(state_dict)`
when given the configuration (`load_model(path, config: {...})`)."""
import json
import os
import tempfile

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from .model import DPQ

FORMAT, FORMAT_VERSION = "dpq-model", 1


def configuration_of(model):
    """The model's configuration as dpq's JSON (DPQConfiguration's Codable keys, all present)."""
    c = model.config
    return {"backbone": c["backbone"], "inputShape": c["input_shape"], "hiddenSizes": c["hidden"],
            "featureDimension": c["dim"], "classCount": c["classes"], "blockCount": c["blocks"],
            "codewordCount": c["codewords"], "similarity": c["similarity"], "gamma": c["gamma"],
            "lambda": c["lam"], "tau": c["tau"], "mu": c["mu"], "nu": c["nu"],
            "classifyReconstruction": c["classify_reconstruction"], "multiLabel": c["multi_label"],
            "dropout": c["dropout"], "batchNorm": c["batch_norm"]}


def from_configuration(c):
    """A new DPQ module from dpq's configuration JSON (a dict)."""
    return DPQ(backbone=c["backbone"], input_shape=c["inputShape"], hidden=c["hiddenSizes"],
               dim=c["featureDimension"], classes=c["classCount"], blocks=c["blockCount"],
               codewords=c["codewordCount"], similarity=c["similarity"], gamma=c["gamma"], lam=c["lambda"],
               tau=c["tau"], mu=c["mu"], nu=c["nu"], dropout=c["dropout"], batch_norm=c["batchNorm"],
               classify_reconstruction=c["classifyReconstruction"], multi_label=c["multiLabel"])


def save_dpq(model, path):
    """Writes `model` as a dpq model file (F32, atomically: a temporary file, then a rename).
    BatchNorm's num_batches_tracked counters are left out: dpq has none."""
    state = {k: v.detach().to(torch.float32).contiguous().cpu() for k, v in model.state_dict().items()
             if not k.endswith("num_batches_tracked")}
    metadata = {"format": FORMAT, "format_version": str(FORMAT_VERSION),
                "configuration": json.dumps(configuration_of(model))}
    folder = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=".dpq-", suffix=".safetensors", dir=folder)
    os.close(fd)
    try:
        save_file(state, temporary, metadata=metadata)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def load_dpq(path):
    """Reads a dpq model file into a DPQ module in eval mode, with load_state_dict(strict=True)."""
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata() or {}
    if metadata.get("format") != FORMAT:
        raise ValueError(f"{path}: not a dpq model file (metadata format is {metadata.get('format')!r})")
    if int(metadata.get("format_version", "0")) > FORMAT_VERSION:
        raise ValueError(f"{path}: format version {metadata['format_version']} is newer than this reader")
    model = from_configuration(json.loads(metadata["configuration"]))
    state = load_file(path)
    # dpq files have no BatchNorm step counters; keep the new module's so strict loading holds.
    for name, value in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            state[name] = value
    model.load_state_dict(state, strict=True)
    return model.eval()
