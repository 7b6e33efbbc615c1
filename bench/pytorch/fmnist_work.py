"""The data the pipeline benchmarks use, read as bench/DDist.Bench/FashionMnistWork.cs does: Debian's official
Fashion-MNIST IDX files, normalised with DC's constants (0.2861 / 0.3530)."""
import gzip
import os

import numpy as np
import torch

ROOT = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2861, 0.3530


def _read(name, offset):
    with gzip.open(os.path.join(ROOT, name), "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def split(train):
    prefix = "train" if train else "t10k"
    images = _read(f"{prefix}-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)
    labels = _read(f"{prefix}-labels-idx1-ubyte.gz", 8).astype(np.int64)
    return images, labels


def to_tensors(images, labels):
    x = (torch.from_numpy(images.astype(np.float32)) / 255 - MEAN) / STD
    return x, torch.from_numpy(labels.copy())


def first(train, count):
    images, labels = split(train)
    return to_tensors(images[:count], labels[:count])


def first_per_class(train, per_class):
    images, labels = split(train)
    idx = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(10)])
    return to_tensors(images[idx], labels[idx])


def convnet(norm, width=128, depth=3, channels=1, classes=10):
    """The reference ConvNet (§2.2): conv(pad 3 on a 1-channel first layer) → norm → ReLU → avgpool, ×depth."""
    layers, c = [], channels
    for d in range(depth):
        layers.append(torch.nn.Conv2d(c, width, 3, padding=3 if (channels == 1 and d == 0) else 1))
        layers.append(torch.nn.GroupNorm(width, width) if norm == "instance" else torch.nn.BatchNorm2d(width))
        layers += [torch.nn.ReLU(), torch.nn.AvgPool2d(2)]
        c = width
    return torch.nn.Sequential(*layers, torch.nn.Flatten(), torch.nn.Linear(width * 4 * 4, classes))


def train_epoch(net, opt, x, y, batch):
    net.train()
    perm = torch.randperm(len(x))
    total, correct = 0.0, 0
    for s in range(0, len(x), batch):
        idx = perm[s:s + batch]
        out = net(x[idx])
        loss = torch.nn.functional.cross_entropy(out, y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
        correct += (out.argmax(1) == y[idx]).sum().item()
    return total / len(x), correct / len(x)


@torch.no_grad()
def accuracy(net, x, y, batch=256):
    net.eval()
    return sum((net(x[s:s + batch]).argmax(1) == y[s:s + batch]).sum().item() for s in range(0, len(x), batch)) / len(x)
