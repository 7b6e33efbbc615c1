"""Writes torch.save files as the distillation projects' own code writes them, for `ddist import-set`'s tests.

usage: torch_save_files.py fixtures OUTDIR
           MTT/DATM-style files (images, labels, soft labels, step size), a legacy-format DC result file, views,
           half and bfloat16 storages, an nn.Parameter, a pair; beside each, the values DDist must read (.npy)
       torch_save_files.py export SET.safetensors OUT_IMAGES.pt OUT_LABELS.pt
           a DDist small set's images and labels as MTT's images_best.pt / labels_best.pt
       torch_save_files.py load DIR
           torch.load(weights_only=True) of every DIR/NAME.pt that `ddist export-set` wrote, saved as DIR/NAME.npy
       torch_save_files.py archive OUT.pt zip|legacy
           a list of five tensors (two of their own storages, three views of one) for TorchSaveFile.Open's tests
"""
import json
import os
import struct
import sys

import numpy as np
import torch

# The source and target normalisations of the conversion test (DC's CIFAR-100 constants -> CIFAR-10's).
CIFAR100_DC = ([0.5071, 0.4866, 0.4409], [0.2673, 0.2564, 0.2762])
CIFAR10 = ([0.4914, 0.4822, 0.4465], [0.2023, 0.1994, 0.2010])


def fixtures(out):
    g = torch.Generator().manual_seed(7)
    x = torch.randn(8, 3, 4, 4, generator=g)
    labels = torch.tensor([3, 1, 0, 2, 2, 0, 1, 3])
    blocks = torch.arange(4).repeat_interleave(2)

    def save(name, obj, **kw):
        torch.save(obj, os.path.join(out, name), **kw)

    def expect(name, array):
        np.save(os.path.join(out, name), np.ascontiguousarray(array))

    save("images_best.pt", x)
    expect("images.npy", x.numpy())
    save("labels_best.pt", labels)
    expect("labels.npy", labels.numpy())
    save("lr_best.pt", torch.tensor(0.0123, requires_grad=True).detach())
    soft = torch.randn(8, 4, generator=g).requires_grad_(True)   # DATM saves its learnable labels as they are
    save("soft_labels.pt", soft)
    expect("soft_labels.npy", soft.detach().numpy())
    save("transposed.pt", x.transpose(2, 3))                      # a view: strides, not row-major
    expect("transposed.npy", x.transpose(2, 3).contiguous().numpy())
    both = torch.randn(10, 3, 4, 4, generator=g)
    save("offset.pt", both[2:])                                    # a view at a storage offset (the whole storage is saved)
    expect("offset.npy", both[2:].numpy())
    save("half.pt", x.half())
    expect("half.npy", x.half().float().numpy())
    save("bfloat16.pt", x.bfloat16())
    expect("bfloat16.npy", x.bfloat16().float().numpy())
    save("parameter.pt", torch.nn.Parameter(x.clone()))
    # A set saved from GPU tensors without .cpu() (DATM's label_syn, SRe2L-style scripts): its storages are tagged
    # 'cuda:0', and torch.load without map_location refuses it on a machine without CUDA. The tag is what torch.save's
    # location_tag would write for a CUDA storage; the bytes are the same.
    tag = torch.serialization.location_tag
    torch.serialization.location_tag = lambda storage: "cuda:0"
    try:
        save("cuda.pt", x)
    finally:
        torch.serialization.location_tag = tag
    save("pair.pt", (x, labels))
    # DC/DSA/DM's res_*.pt (main.py): every experiment's [images, labels], in the format before PyTorch 1.6.
    save("res_DC.pt", {"data": [[x.clone(), blocks.clone()], [2 * x, blocks.clone()]], "accs_all_exps": {"ConvNet": [0.5, 0.6]}},
         _use_new_zipfile_serialization=False)
    expect("blocks.npy", blocks.numpy())
    expect("doubled.npy", (2 * x).numpy())
    # The same pixels in DC's CIFAR-100 normalisation, and what they are in CIFAR-10's (float64, then float32).
    m1, s1 = (torch.tensor(v, dtype=torch.float64).view(1, 3, 1, 1) for v in CIFAR100_DC)
    m0, s0 = (torch.tensor(v, dtype=torch.float32).double().view(1, 3, 1, 1) for v in CIFAR10)
    expect("converted.npy", (((x.double() * s1.float().double() + m1.float().double()) - m0) / s0).float().numpy())
    save("labels_out_of_range.pt", torch.tensor([0, 1, 2, 3, 4, 0, 1, 2]))
    save("dict.pt", {"images": x, "lr": 0.01})
    broken = x.clone()
    broken[3, 1, 2, 2] = float("nan")
    save("nan.pt", broken)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    kinds = {"F32": np.float32, "I64": np.int64}
    out = {}
    for name, t in header.items():
        if name == "__metadata__" or t["dtype"] not in kinds:
            continue
        a, b = t["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype=kinds[t["dtype"]]).reshape(t["shape"])
    return out


def export(set_path, images_out, labels_out):
    t = read_safetensors(set_path)
    torch.save(torch.from_numpy(t["images"].copy()), images_out)
    torch.save(torch.from_numpy(t["labels"].copy()), labels_out)


def archive(out, fmt):
    rows = torch.arange(12.0).reshape(3, 4)
    tensors = [torch.arange(6.0).reshape(2, 3), 7 * torch.ones(4)] + list(rows.unbind())
    torch.save(tensors, out, _use_new_zipfile_serialization=(fmt == "zip"))


def load(folder):
    for name in os.listdir(folder):
        if name.endswith(".pt"):
            t = torch.load(os.path.join(folder, name), weights_only=True)   # only the globals a tensor needs
            assert isinstance(t, torch.Tensor) and not t.requires_grad, name
            np.save(os.path.join(folder, name[:-3] + ".npy"), t.numpy())


if __name__ == "__main__":
    if sys.argv[1] == "fixtures":
        fixtures(sys.argv[2])
    elif sys.argv[1] == "export":
        export(*sys.argv[2:5])
    elif sys.argv[1] == "load":
        load(sys.argv[2])
    elif sys.argv[1] == "archive":
        archive(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
