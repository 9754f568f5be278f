"""The DPQ model (PAPER.md): a backbone, the feature layer x = tanh(W h + b), a classifier, and
M progressive codebooks of K codewords, with module names exactly as dpq's FeatureNetwork
(Sources/DPQQuantization/FeatureNetwork.swift) so that state dicts match name for name."""
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F


def _lenet(batch_norm, dropout):
    layers = [("conv1", nn.Conv2d(1, 32, 5))]
    if batch_norm: layers.append(("bn1", nn.BatchNorm2d(32)))
    layers += [("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)), ("conv2", nn.Conv2d(32, 64, 5))]
    if batch_norm: layers.append(("bn2", nn.BatchNorm2d(64)))
    layers += [("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)), ("flatten", nn.Flatten()),
               ("fc1", nn.Linear(1024, 512))]
    if batch_norm: layers.append(("bn3", nn.BatchNorm1d(512)))
    layers.append(("relu3", nn.ReLU()))
    if dropout > 0: layers.append(("dropout", nn.Dropout(dropout)))
    return layers, 512


def _cifar(batch_norm, dropout):
    # Three VGG-style stages of two 3x3 convolutions (32, 64, 128 channels), each halving the size.
    layers, channels, side, layer = [], 3, 32, 1
    for width in (32, 64, 128):
        for _ in range(2):
            layers.append((f"conv{layer}", nn.Conv2d(channels, width, 3, padding=1)))
            if batch_norm: layers.append((f"bn{layer}", nn.BatchNorm2d(width)))
            layers.append((f"relu{layer}", nn.ReLU()))
            channels, layer = width, layer + 1
        layers.append((f"pool{layer // 2}", nn.MaxPool2d(2)))
        side //= 2
    layers += [("flatten", nn.Flatten()), ("fc1", nn.Linear(channels * side * side, 512))]
    if batch_norm: layers.append(("bn_fc1", nn.BatchNorm1d(512)))
    layers.append(("relu_fc1", nn.ReLU()))
    if dropout > 0: layers.append(("dropout", nn.Dropout(dropout)))
    return layers, 512


def _mlp(input_size, hidden, batch_norm, dropout):
    layers, width = [], input_size
    for i, h in enumerate(hidden, 1):
        layers.append((f"fc{i}", nn.Linear(width, h)))
        if batch_norm: layers.append((f"bn{i}", nn.BatchNorm1d(h)))
        layers.append((f"relu{i}", nn.ReLU()))
        if dropout > 0: layers.append((f"dropout{i}", nn.Dropout(dropout)))
        width = h
    return layers, width


class DPQ(nn.Module):
    """DPQ with dpq's backbones: "lenet" (inputs [1, 28, 28]), "cifar" ([3, 32, 32]), "mlp"
    (feature vectors of size input_shape[0], hidden layers `hidden`), or torchvision's "alexnet"
    and "resnet18" (module names as torchvision's, so their state dicts load into `backbone`). Arguments use dpq()'s
    names: dim is D, blocks M, codewords K; similarity "l2", "ip" or "cosine"; gamma the softmax
    temperature; lam, tau, mu, nu the loss weights."""

    def __init__(self, backbone="lenet", input_shape=None, hidden=(512,), dim=300, classes=10, blocks=4,
                 codewords=256, similarity="l2", gamma=1.0, lam=0.1, tau=1.0, mu=1.0, nu=0.1,
                 dropout=0.5, batch_norm=False, classify_reconstruction=False, multi_label=False):
        super().__init__()
        if backbone == "lenet":
            input_shape = list(input_shape or [1, 28, 28])
            layers, width = _lenet(batch_norm, dropout)
        elif backbone == "cifar":
            input_shape = list(input_shape or [3, 32, 32])
            layers, width = _cifar(batch_norm, dropout)
        elif backbone in ("alexnet", "resnet18"):
            input_shape = list(input_shape or [3, 224, 224])
            layers, width = _alexnet(dropout) if backbone == "alexnet" else _resnet18()
        elif backbone == "mlp":
            if not input_shape:
                raise ValueError("the mlp backbone needs input_shape=[d]")
            input_shape = list(input_shape)
            layers, width = _mlp(input_shape[0], list(hidden), batch_norm, dropout)
        else:
            raise ValueError(f"unknown backbone {backbone!r}: lenet, cifar, mlp, alexnet or resnet18")
        if similarity not in ("l2", "ip", "cosine"):
            raise ValueError(f"unknown similarity {similarity!r}: l2, ip or cosine")
        self.config = dict(backbone=backbone, input_shape=input_shape, hidden=list(hidden), dim=dim,
                           classes=classes, blocks=blocks, codewords=codewords, similarity=similarity,
                           gamma=gamma, lam=lam, tau=tau, mu=mu, nu=nu, dropout=dropout,
                           batch_norm=batch_norm, classify_reconstruction=classify_reconstruction,
                           multi_label=multi_label)
        self.backbone = nn.Sequential(OrderedDict(layers))
        self.feature = nn.Linear(width, dim)
        self.classifier = nn.Linear(dim, classes)
        # dpq starts codebooks at N(0, 0.01^2); training replaces them.
        self.codebooks = nn.ParameterList([nn.Parameter(torch.randn(codewords, dim) * 0.01) for _ in range(blocks)])

    def features(self, x):
        """The D-dimensional features x = tanh(feature(backbone(input)))."""
        return torch.tanh(self.feature(self.backbone(x)))

    def forward(self, x):
        """Class logits."""
        return self.classifier(self.features(x))

    def similarity(self, r, c):
        """s(r, c) for residuals r [n, D] against codewords c [K, D]: [n, K]."""
        kind = self.config["similarity"]
        if kind == "ip":
            return r @ c.t()
        if kind == "cosine":
            return F.normalize(r, dim=1) @ F.normalize(c, dim=1).t()
        return -(r.pow(2).sum(1, keepdim=True) - 2 * r @ c.t() + c.pow(2).sum(1))

    @torch.no_grad()
    def encode(self, features):
        """Hard codes [n, M] as dpq computes them: b_m = argmax_k s(r_m, c_k), r_{m+1} = r_m - c_{b_m}."""
        r, codes = features.clone(), []
        for c in self.codebooks:
            b = self.similarity(r, c).argmax(1)
            codes.append(b)
            r = r - c[b]
        return torch.stack(codes, 1)


def dpq_losses(model, inputs, labels, reach_network=False):
    """The stage-2 DPQ objective as dpq's trainer computes it (DPQTrainer+Objective.swift):
    L_cls + tau / lam * (L_soft + mu * L_hard + nu * L_joint), the squared errors averaged over
    all elements, soft and hard losses summed over the prefixes 1..M. By default the
    quantization terms see the features detached and train only the codebooks (dpq's default)."""
    c = model.config
    x = model.features(inputs)
    logits = model.classifier(x)
    if c["multi_label"]:
        classification = F.binary_cross_entropy_with_logits(logits, labels.float())
    else:
        classification = F.cross_entropy(logits, labels)
    q = x if reach_network else x.detach()
    r, soft, hard = q, 0, 0
    xs, xh = torch.zeros_like(q), torch.zeros_like(q)
    for book in model.codebooks:
        s = model.similarity(r, book)
        qs = F.softmax(c["gamma"] * s, dim=1) @ book
        qh = book[s.argmax(1)]
        xs, xh = xs + qs, xh + qh
        soft = soft + (q - xs).pow(2).mean()
        hard = hard + (q - xh).pow(2).mean()
        r = r - qh
    joint = (xs - xh).pow(2).mean()
    return classification + (soft + c["mu"] * hard + c["nu"] * joint) * (c["tau"] / c["lam"])


def _alexnet(dropout):
    """torchvision.models.alexnet's layers and names, without classifier.6 (output 4096)."""
    features = nn.Sequential(
        nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(), nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2))
    drop = (lambda: nn.Dropout(dropout)) if dropout > 0 else nn.Identity
    classifier = nn.Sequential(drop(), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(), drop(), nn.Linear(4096, 4096), nn.ReLU())
    return [("features", features), ("avgpool", nn.AdaptiveAvgPool2d(6)), ("flatten", nn.Flatten()),
            ("classifier", classifier)], 4096


class BasicBlock(nn.Module):
    """torchvision's ResNet basic block (names conv1, bn1, conv2, bn2, downsample.0/1)."""

    def __init__(self, inputs, outputs, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, outputs, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(outputs)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(outputs, outputs, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(outputs)
        self.downsample = None
        if stride != 1 or inputs != outputs:
            self.downsample = nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride=stride, bias=False), nn.BatchNorm2d(outputs))

    def forward(self, x):
        y = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(y + (x if self.downsample is None else self.downsample(x)))


def _resnet18():
    """torchvision.models.resnet18's layers and names, without fc (output 512)."""
    layers = [("conv1", nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)), ("bn1", nn.BatchNorm2d(64)),
              ("relu", nn.ReLU()), ("maxpool", nn.MaxPool2d(3, stride=2, padding=1))]
    channels = 64
    for stage, width in enumerate((64, 128, 256, 512)):
        stride = 1 if stage == 0 else 2
        layers.append((f"layer{stage + 1}", nn.Sequential(BasicBlock(channels, width, stride), BasicBlock(width, width, 1))))
        channels = width
    layers += [("avgpool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten())]
    return layers, 512
