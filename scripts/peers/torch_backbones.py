#!/usr/bin/env python3
"""PyTorch peer of `dpq bench backbones`: the forward pass of torchvision's AlexNet (up to fc7's
ReLU, classifier.6 left out) and ResNet-18 (up to the global average pool, fc left out), the
layers dpq's backbones compute, in eval mode under torch.no_grad(), on --threads threads, batches
of --batch N(0, 1) images of --size x --size. Random weights (torchvision's initialisation).

torchvision.models comes through torchvision_models.py (next to this file), which says whether
torchvision's C++ ops loaded (they are not used by these models); the note carries it.

Prints one JSON document in the format of `dpq bench SUITE --json`:
{"suite": "backbones", "results": [{"workload": "backbone/alexnet/224", "values": [images/s per run], ...}]}"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchvision_models import models  # noqa: E402


def backbone(tvm, name):
    """torchvision's model without its ImageNet head: the part dpq's backbone of that name is."""
    m = getattr(tvm, name)(weights=None)
    if name == "alexnet":
        m.classifier = m.classifier[:6]
    else:
        m.fc = torch.nn.Identity()
    return m.eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--only", default="", help="comma-separated workload name fragments")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    tvm, description = models()
    results = []
    for name in ("alexnet", "resnet18"):
        workload = f"backbone/{name}/{a.size}"
        if a.only and not any(f in workload for f in a.only.split(",")):
            continue
        m = backbone(tvm, name)
        x = torch.randn(a.batch, 3, a.size, a.size)
        times = []
        with torch.no_grad():
            shape = list(m(x).shape)           # warm-up, untimed (as dpq's)
            for _ in range(a.runs):
                t0 = time.perf_counter()
                m(x)
                times.append(time.perf_counter() - t0)
        print(f"torch_backbones: {workload}: " + ", ".join(f"{a.batch / t:.1f}" for t in times) + " images/s",
              file=sys.stderr)
        results.append({"workload": workload, "unit": "images/s", "higher_is_better": True,
                        "values": [a.batch / t for t in times],
                        "info": {"batch": a.batch, "input": [3, a.size, a.size], "output": shape, "threads": a.threads,
                                 "median_batch_ms": sorted(times)[len(times) // 2] * 1e3,
                                 "mode": "eval, no grad", "weights": "random (torchvision's initialisation)"}})
    print(json.dumps({
        "suite": "backbones", "tool": f"torch {torch.__version__}",
        "machine": {"torch_threads": torch.get_num_threads(), "mkldnn": torch.backends.mkldnn.is_available()},
        "results": results, "notes": [description]}))


if __name__ == "__main__":
    main()
