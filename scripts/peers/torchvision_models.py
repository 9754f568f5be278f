#!/usr/bin/env python3
"""torchvision.models for the backbone tests and `dpq bench backbones`, also next to a CPU-only torch.

PyPI's Linux torchvision wheels are CUDA builds: their C++ ops library (torchvision/_C.so: nms,
roi_align, deform_conv2d, ...) links libtorch_cuda.so and libc10_cuda.so, which a CPU torch
(torch 2.13.0+cpu from /opt/wheels or download.pytorch.org/whl/cpu) does not ship. torchvision
then fails to load _C.so silently, and `import torchvision` dies in _meta_registrations
("operator torchvision::nms does not exist"). The model definitions (torchvision/models/*.py) are
plain torch.nn and need none of those ops, so when the normal import fails this module imports
torchvision's package without running its __init__ and loads torchvision.models from the installed
files. `models()` says which of the two happened; nothing here copies or rewrites torchvision.

`python torchvision_models.py` prints what loads and exits non-zero if alexnet/resnet18 cannot be
built. `python torchvision_models.py --pip-spec` prints the torchvision requirement to install
beside the installed torch, or nothing when a matching one is installed or torch is absent
(scripts/setup and scripts/bench use it; it reads package metadata only, so it is quick)."""
import importlib.metadata
import importlib.util
import sys
import types


def pip_spec():
    """The torchvision release made for the installed torch (torch 2.N pairs with torchvision
    0.(N+15)) as a pip requirement, or "" when it is installed already or torch is absent."""
    try:
        major, minor = importlib.metadata.version("torch").split("+")[0].split(".")[:2]
    except importlib.metadata.PackageNotFoundError:
        return ""
    try:
        have = importlib.metadata.version("torchvision")
    except importlib.metadata.PackageNotFoundError:
        have = ""
    if major != "2":
        return "" if have else "torchvision"
    wanted = f"0.{int(minor) + 15}."
    return "" if have.startswith(wanted) else f"torchvision=={wanted}*"


def models():
    """Returns (torchvision.models, description). Raises ImportError if torchvision is absent."""
    try:
        import torchvision.models as tvm
        import torchvision.extension as ext
        ops = "with its C++ ops" if ext._has_ops() else "without its C++ ops"
        return tvm, f"torchvision {importlib.metadata.version('torchvision')} ({ops})"
    except ImportError:
        raise
    except Exception as e:   # RuntimeError from _meta_registrations when _C.so did not load
        reason = f"{type(e).__name__}: {e}"
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("torchvision is not installed")
    package = types.ModuleType("torchvision")
    package.__path__ = list(spec.submodule_search_locations)
    package.__file__ = spec.origin
    package.__spec__ = spec
    sys.modules["torchvision"] = package
    import torchvision.models as tvm
    version = importlib.metadata.version("torchvision")
    return tvm, (f"torchvision {version} models only (its package __init__ and C++ ops not loaded: "
                 f"`import torchvision` failed with {reason})")


if __name__ == "__main__":
    if sys.argv[1:] == ["--pip-spec"]:
        print(pip_spec())
        sys.exit(0)
    tvm, description = models()
    a, r = tvm.alexnet(), tvm.resnet18()
    count = lambda m: sum(p.numel() for p in m.parameters())
    print(f"{description}; alexnet {count(a):,} and resnet18 {count(r):,} parameters")
