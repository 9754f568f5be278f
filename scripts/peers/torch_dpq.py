#!/usr/bin/env python3
"""PyTorch peer of dpq's training benchmark: the DPQ model (LeNet-style backbone, D=300,
M=4 blocks of K=256 codewords, squared-L2 similarity) trained at batch 128 on 2 threads.
Prints one JSON line: {"workload": ..., "images_per_second": [...per run...]}.
Same shapes, losses and optimizers as dpq's `dpq bench train` workload."""
import argparse, json, time
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

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        h = F.dropout(F.relu(self.fc1(h.flatten(1))), 0.5, self.training)
        x = torch.tanh(self.feature(h))
        logits = self.classifier(x)
        r, xs, xh = x, 0, 0
        soft_loss, hard_loss = 0, 0
        for c in self.codebooks:
            s = 2 * r @ c.t() - (c * c).sum(1)
            qs = F.softmax(s, dim=1) @ c
            qh = c[s.argmax(1)]
            xs, xh = xs + qs, xh + qh
            soft_loss = soft_loss + ((x - xs) ** 2).mean()
            hard_loss = hard_loss + ((x - xh) ** 2).mean()
            r = r - qh
        joint = ((xs - xh) ** 2).mean()
        return logits, soft_loss, hard_loss, joint


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = DPQ()
    net = [p for n, p in model.named_parameters() if not n.startswith("codebooks")]
    opt_net = torch.optim.SGD(net, lr=0.01, momentum=0.9, weight_decay=5e-4)
    opt_cb = torch.optim.Adam(model.codebooks.parameters(), lr=1e-3)
    x = torch.rand(a.batch, 1, 28, 28)
    y = torch.randint(0, 10, (a.batch,))

    def step():
        logits, ls, lh, lj = model(x)
        loss = F.cross_entropy(logits, y) + (ls + lh + 0.1 * lj) / 0.1
        opt_net.zero_grad(); opt_cb.zero_grad()
        loss.backward()
        opt_net.step(); opt_cb.step()

    for _ in range(3):
        step()
    rates = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            step()
        rates.append(a.steps * a.batch / (time.perf_counter() - t0))
    print(json.dumps({"workload": "dpq-train-step", "threads": a.threads, "batch": a.batch,
                      "torch": torch.__version__, "images_per_second": rates}))


if __name__ == "__main__":
    main()
