#!/usr/bin/env python3
"""PyTorch peer of `dpq bench train`: the DPQ model (LeNet-style backbone, D=300, M=4 blocks of
K=256 codewords, squared-L2 similarity, dropout 0.5) trained in stage 2 (network and codebooks;
by default the quantization losses see the features detached and train only the codebooks, as
dpq's trainer does)
at batch 128 (at 1 and 2 threads in scripts/bench): forward, classification + soft + hard + joint losses, backward, SGD with
momentum and weight decay on the network, Adam on the codebooks. Same shapes, losses, optimizers
and inputs (the prepared FM-5k training images) as dpq's workload.

Also the peer of `encode/dpq-lenet`: the same network in eval mode under torch.no_grad() on the
first --encode-images prepared database images in batches of 500, then the hard codes of the 4
blocks (argmax of 2 r c^T - ||c||^2, r -= c[b]), as dpq's model.index(dataset) computes them.
Every row is measured at each of --thread-counts (torch.set_num_threads; names end in /t1, /t2).

Prints one JSON document in the format of `dpq bench SUITE --json`:
{"suite": "train", "results": [{"workload": "train/dpq-step/t2", "values": [images/s per run], ...}]}"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class DPQ(nn.Module):
    def __init__(self, dim=300, blocks=4, codewords=256, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 5)
        self.conv2 = nn.Conv2d(32, 64, 5)
        self.fc1 = nn.Linear(1024, 512)
        self.feature = nn.Linear(512, dim)
        self.classifier = nn.Linear(dim, classes)
        self.codebooks = nn.ParameterList([nn.Parameter(torch.randn(codewords, dim) * 0.01) for _ in range(blocks)])

    def forward(self, x, reach_network=False):
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        h = F.dropout(F.relu(self.fc1(h.flatten(1))), 0.5, self.training)
        x = torch.tanh(self.feature(h))
        logits = self.classifier(x)
        # dpq's default (the released code): the quantization losses train only the codebooks
        if not reach_network:
            x = x.detach()
        r, xs, xh = x, 0, 0
        soft_loss, hard_loss = 0, 0
        for c in self.codebooks:
            s = 2 * r @ c.t() - (c * c).sum(1)          # -||r - c||^2 without the per-row constant
            qs = F.softmax(s, dim=1) @ c
            qh = c[s.argmax(1)]
            xs, xh = xs + qs, xh + qh
            soft_loss = soft_loss + ((x - xs) ** 2).mean()
            hard_loss = hard_loss + ((x - xh) ** 2).mean()
            r = r - qh
        joint = ((xs - xh) ** 2).mean()
        return logits, soft_loss, hard_loss, joint


    @torch.no_grad()
    def encode(self, x):
        """Hard codes [n, M] of images x, as dpq's model.encode(inputs:)."""
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        h = F.relu(self.fc1(h.flatten(1)))           # dropout is the identity in eval mode
        r = torch.tanh(self.feature(h))
        codes = []
        for c in self.codebooks:
            b = (2 * r @ c.t() - (c * c).sum(1)).argmax(1)
            codes.append(b)
            r = r - c[b]
        return torch.stack(codes, 1).to(torch.uint8)


def load_database(data, count):
    """The first `count` prepared database images as [n, 1, 28, 28], or random ones."""
    path = os.path.join(data, "database_pixels.npy")
    if os.path.exists(path):
        pixels = np.load(path, mmap_mode="r")
        n = min(count, pixels.shape[0])
        return torch.from_numpy(np.array(pixels[:n], dtype=np.float32)).reshape(n, 1, 28, 28), path
    print(f"torch_dpq: {path} is missing; timing on uniform random images", file=sys.stderr)
    return torch.rand(count, 1, 28, 28), "uniform random 28x28 images"


def load_inputs(data, count):
    """The first `count` prepared FM-5k training images (repeated if needed), or random ones."""
    images_path, labels_path = os.path.join(data, "train_images.npy"), os.path.join(data, "train_labels.npy")
    if os.path.exists(images_path) and os.path.exists(labels_path):
        images, labels = np.load(images_path), np.load(labels_path)
        rows = np.arange(count) % images.shape[0]
        return torch.from_numpy(images[rows].astype(np.float32)), torch.from_numpy(labels[rows].astype(np.int64)), images_path
    print(f"torch_dpq: {images_path} is missing; timing on uniform random images", file=sys.stderr)
    return torch.rand(count, 1, 28, 28), torch.randint(0, 10, (count,)), "uniform random 28x28 images"


def train_rates(a, threads, inputs, labels):
    """Images/s of each timed epoch of stage-2 training steps at `threads` threads."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = DPQ()
    model.train()
    net = [p for n, p in model.named_parameters() if not n.startswith("codebooks")]
    opt_net = torch.optim.SGD(net, lr=0.01, momentum=0.9, weight_decay=5e-4)
    opt_cb = torch.optim.Adam(model.codebooks.parameters(), lr=1e-3)
    count = inputs.shape[0]
    generator = torch.Generator().manual_seed(0)

    def epoch():
        """One pass over the inputs in shuffled mini-batches, as dpq's trainer does."""
        order = torch.randperm(count, generator=generator)
        for b in range(0, count, a.batch):
            idx = order[b:b + a.batch]
            x, y = inputs[idx], labels[idx]
            logits, ls, lh, lj = model(x, a.quantization_reaches_network)
            # dpq's stage-2 objective: L_cls + (L_soft + mu L_hard + nu L_joint) * tau / lambda
            loss = F.cross_entropy(logits, y) + (ls + lh + 0.1 * lj) / 0.1
            opt_net.zero_grad(); opt_cb.zero_grad()
            loss.backward()
            opt_net.step(); opt_cb.step()

    epoch()                                   # warm-up, untimed (as dpq's first epoch)
    rates = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        epoch()
        rates.append(count / (time.perf_counter() - t0))
    return rates


def encode_rates(a, threads, images):
    """Images/s of encoding `images` through the network and the blocks at `threads` threads."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = DPQ()
    model.eval()

    def run():
        return torch.cat([model.encode(images[b:b + 500]) for b in range(0, images.shape[0], 500)])

    run()                                     # warm-up, untimed (as dpq's Stopwatch.measure)
    rates = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        run()
        rates.append(images.shape[0] / (time.perf_counter() - t0))
    return rates


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--thread-counts", default=None, help="comma-separated thread counts (default: --threads)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=10, help="training steps per timed run")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--encode-images", type=int, default=10000)
    ap.add_argument("--only", default=None, help="comma-separated workload name fragments (default: all)")
    ap.add_argument("--data", default=".build/bench-data")
    ap.add_argument("--quantization-reaches-network", action="store_true",
                    help="let the quantization losses reach the network (dpq's option of the same name)")
    a = ap.parse_args()
    counts = [int(t) for t in a.thread_counts.split(",")] if a.thread_counts else [a.threads]
    selected = lambda w: a.only is None or any(f in w for f in a.only.split(","))
    inputs, labels, source = load_inputs(a.data, a.steps * a.batch)
    images, image_source = load_database(a.data, a.encode_images)
    results = []
    for t in counts:
        if selected("train/dpq-step"):
            results.append({"workload": f"train/dpq-step/t{t}", "unit": "images/s", "higher_is_better": True,
                            "values": train_rates(a, t, inputs, labels),
                            "info": {"batch": a.batch, "steps_per_run": a.steps, "threads": t, "inputs": source,
                                     "quantization_reaches_network": a.quantization_reaches_network}})
        if selected("encode/dpq-lenet"):
            results.append({"workload": f"encode/dpq-lenet/t{t}", "unit": "images/s", "higher_is_better": True,
                            "values": encode_rates(a, t, images),
                            "info": {"images": images.shape[0], "batch": 500, "threads": t, "inputs": image_source,
                                     "work": "forward under torch.no_grad() in eval mode, hard codes of 4 blocks"}})
    print(json.dumps({
        "suite": "train", "tool": f"torch {torch.__version__}",
        "machine": {"torch_threads": counts, "mkldnn": torch.backends.mkldnn.is_available()},
        "results": results, "notes": []}))


if __name__ == "__main__":
    main()
