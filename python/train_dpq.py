#!/usr/bin/env python3
"""Trains dpq's DPQ model in PyTorch, on CPU or GPUs, on one machine or several, and writes a
model file dpq loads (`load_model(path)`).

The recipe is dpq's trainer's (Sources/DPQQuantization/DPQTrainer.swift): stage 1 trains the
network on classification alone for the first half of the epochs; stage 2 starts the codebooks
by residual k-means on the training features and trains network and codebooks on
L_cls + tau / lam * (L_soft + mu L_hard + nu L_joint), the quantization terms seeing the
features detached. SGD with momentum 0.9 and weight decay 5e-4 on the network (learning rate
0.05, cosine decay over the epochs), Adam (1e-3) on the codebooks.

One process:          python python/train_dpq.py --out model.safetensors
Several (DDP):        torchrun --nproc_per_node 2 python/train_dpq.py --out model.safetensors
Several machines:     torchrun --nnodes 2 --node_rank R --master_addr HOST --nproc_per_node 8 ...
Each process reads its share of every epoch (DistributedSampler); gradients are averaged by
DistributedDataParallel (gloo on CPU, nccl on GPUs). Rank 0 writes the file.
"""
import argparse
import gzip
import math
import os
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))   # dpq_torch beside this file
from dpq_torch import DPQ, dpq_losses, save_dpq  # noqa: E402


def read_idx(path):
    """An IDX file (plain or .gz) as a NumPy array: Fashion-MNIST's format."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_data(path, limit):
    """Images [n, 1, 28, 28] in [0, 1] and labels from a Fashion-MNIST folder, or x and y from an
    .npz file (any item shape: images or feature vectors)."""
    if os.path.isdir(path):
        x = read_idx(os.path.join(path, "train-images-idx3-ubyte.gz")).astype(np.float32)[:, None] / 255
        y = read_idx(os.path.join(path, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    else:
        archive = np.load(path)
        x, y = archive["x"].astype(np.float32), archive["y"].astype(np.int64)
    if limit:
        x, y = x[:limit], y[:limit]
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y)


class Objective(nn.Module):
    """The loss of one stage as a module, so DistributedDataParallel sees the whole computation
    in forward() and averages every gradient."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x, y, stage):
        if stage == 1:
            return F.cross_entropy(self.model(x), y)
        return dpq_losses(self.model, x, y)


@torch.no_grad()
def residual_kmeans(features, blocks, codewords, iterations=20, seed=0):
    """Codebooks by k-means on the features, then on each block's residuals (dpq's start)."""
    g = torch.Generator().manual_seed(seed)
    r, books = features.clone(), []
    for _ in range(blocks):
        c = r[torch.randperm(r.shape[0], generator=g)[:codewords]].clone()
        if c.shape[0] < codewords:   # fewer items than codewords: repeat with noise
            c = torch.cat([c, c[torch.randint(0, c.shape[0], (codewords - c.shape[0],), generator=g)]
                           + 1e-3 * torch.randn(codewords - c.shape[0], r.shape[1], generator=g)])
        for _ in range(iterations):
            b = torch.cdist(r, c).argmin(1)
            for k in range(codewords):
                members = r[b == k]
                if len(members):
                    c[k] = members.mean(0)
        books.append(c)
        r = r - c[torch.cdist(r, c).argmin(1)]
    return books


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist",
                    help="a Fashion-MNIST folder (IDX files) or an .npz with x and y")
    ap.add_argument("--out", required=True, help="the dpq model file to write")
    ap.add_argument("--backbone", default="lenet", choices=["lenet", "cifar", "mlp"])
    ap.add_argument("--hidden", type=int, nargs="*", default=[512])
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--blocks", type=int, default=4)
    ap.add_argument("--codewords", type=int, default=256)
    ap.add_argument("--classes", type=int, default=None, help="default: the largest label + 1")
    ap.add_argument("--similarity", default="l2", choices=["l2", "ip", "cosine"])
    ap.add_argument("--batch-norm", action="store_true")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=None, help="stage-1 epochs (default: half)")
    ap.add_argument("--batch", type=int, default=128, help="per process")
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--codebook-lr", type=float, default=1e-3)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N training items")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    distributed = "WORLD_SIZE" in os.environ
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if torch.cuda.is_available() else "cpu")
    if distributed:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    rank = dist.get_rank() if distributed else 0
    torch.manual_seed(a.seed)   # the same initial weights in every process

    x, y = load_data(a.data, a.limit)
    classes = a.classes or int(y.max()) + 1
    model = DPQ(backbone=a.backbone, input_shape=list(x.shape[1:]), hidden=a.hidden, dim=a.dim, classes=classes,
                blocks=a.blocks, codewords=a.codewords, similarity=a.similarity, batch_norm=a.batch_norm).to(device)
    objective = Objective(model)
    if distributed:
        # Stage 1 leaves the codebooks unused; DDP must not wait for their gradients.
        objective = DistributedDataParallel(objective, find_unused_parameters=True,
                                            device_ids=[device.index] if device.type == "cuda" else None)
    data = TensorDataset(x, y)
    sampler = DistributedSampler(data, shuffle=True, seed=a.seed) if distributed else None
    loader = DataLoader(data, batch_size=a.batch, sampler=sampler, shuffle=sampler is None, drop_last=False)
    network = [p for n, p in model.named_parameters() if not n.startswith("codebooks")]
    sgd = torch.optim.SGD(network, lr=a.lr, momentum=0.9, weight_decay=5e-4)
    adam = torch.optim.Adam(model.codebooks.parameters(), lr=a.codebook_lr)
    warmup = min(a.epochs, a.epochs // 2 if a.warmup is None else a.warmup)

    for epoch in range(a.epochs):
        stage = 1 if epoch < warmup else 2
        if stage == 2 and epoch == warmup:
            # Rank 0 places the codebooks among its features; everyone takes rank 0's.
            model.eval()
            with torch.no_grad():
                features = torch.cat([model.features(b.to(device)) for b in x.split(1024)])
            for book, start in zip(model.codebooks, residual_kmeans(features.cpu(), a.blocks, a.codewords, seed=a.seed)):
                book.data.copy_(start.to(device))
                if distributed:
                    dist.broadcast(book.data, 0)
        model.train()
        for group in sgd.param_groups:   # cosine decay over the whole run, per epoch as dpq does
            group["lr"] = a.lr * 0.5 * (1 + math.cos(math.pi * epoch / a.epochs))
        if sampler is not None:
            sampler.set_epoch(epoch)
        total, count = 0.0, 0
        for inputs, labels in loader:
            inputs, labels = inputs.to(device), labels.to(device)
            loss = objective(inputs, labels, stage)
            sgd.zero_grad(); adam.zero_grad()
            loss.backward()
            sgd.step()
            if stage == 2:
                adam.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        if rank == 0:
            print(f"epoch {epoch + 1}/{a.epochs} stage {stage}: loss {total / max(count, 1):.4f} "
                  f"({count} items in this process)", flush=True)

    if rank == 0:
        save_dpq(model.eval().cpu(), a.out)
        print(f"wrote {a.out}", flush=True)
    if distributed:
        dist.barrier()
        dist.destroy_process_group()
        # gloo's worker threads can still be joinable when the interpreter's C++ destructors run
        # at exit, and a joinable std::thread destroyed there aborts the process ("terminate
        # called without an active exception", exit -6) after the work is done, failing torchrun
        # about one run in a few on a loaded machine. The group is destroyed and the file
        # written: leave without running those destructors.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


if __name__ == "__main__":
    main()
