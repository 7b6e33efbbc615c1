#!/usr/bin/env python3
"""Writes the first N training and M test images of an MNIST-format dataset (IDX files, raw or gzip) as gzip IDX
files into another folder, so a check can carry or use a smaller copy: e.g. full MNIST to a GPU machine (11 MB), or
2,000 images for a quick CPU run. Standard library only.

    scripts/idx-subset.py SRC_DIR DST_DIR [--train N] [--test M]
"""
import argparse
import gzip
import os
import struct
import sys

FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"), "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def read(folder, name):
    for path, opener in ((os.path.join(folder, name), open), (os.path.join(folder, name + ".gz"), gzip.open)):
        if os.path.exists(path):
            with opener(path, "rb") as f:
                return path, f.read()
    sys.exit(f"{folder}: neither {name} nor {name}.gz exists")


def subset(src, dst, split, count):
    images_name, labels_name = FILES[split]
    ipath, images = read(src, images_name)
    lpath, labels = read(src, labels_name)
    magic, n, rows, cols = struct.unpack(">IIII", images[:16])
    lmagic, ln = struct.unpack(">II", labels[:8])
    if magic != 0x803 or lmagic != 0x801 or n != ln:
        sys.exit(f"{ipath} / {lpath}: not a matching IDX image/label pair (magic {magic:#x}/{lmagic:#x}, counts {n}/{ln})")
    k = n if count is None else min(count, n)
    size = rows * cols
    with gzip.open(os.path.join(dst, images_name + ".gz"), "wb", compresslevel=9) as f:
        f.write(struct.pack(">IIII", magic, k, rows, cols) + images[16:16 + k * size])
    with gzip.open(os.path.join(dst, labels_name + ".gz"), "wb", compresslevel=9) as f:
        f.write(struct.pack(">II", lmagic, k) + labels[8:8 + k])
    return k


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--train", type=int, default=None, help="training images to keep (default: all)")
    ap.add_argument("--test", type=int, default=None, help="test images to keep (default: all)")
    a = ap.parse_args()
    os.makedirs(a.dst, exist_ok=True)
    kept = {split: subset(a.src, a.dst, split, getattr(a, split)) for split in FILES}
    print(f"{a.dst}: {kept['train']} training and {kept['test']} test images")


if __name__ == "__main__":
    main()
