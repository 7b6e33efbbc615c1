"""Independent PyTorch computation of the DC/DSA gradient-matching loss and the DM loss, for the C# cross-checks
(tests/DDist.Tests/Distillation/FamilyCrossCheckTests.cs). Written the way the DC repository writes them
(`utils.py` match_loss / distance_wb, `main_DM.py`): a ConvNet over a list of per-layer parameter tensors, the
gradients with torch.autograd.grad, the distance per parameter tensor.

usage: family_reference.py IN.safetensors OUT.safetensors
IN holds the flat parameter vector `theta`, images and (for BatchNorm) running statistics; its metadata holds the
mode ("dc" or "dm"), the network (width, depth, norm) and the parameter layout. OUT holds `loss` and `grad_syn`.
Tensors are exchanged in the safetensors format, parsed here in a few lines (no safetensors package needed)."""
import json
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F64": np.float64, "F32": np.float32, "I64": np.int64}
NAMES = {np.dtype(v): k for k, v in DTYPES.items()}


def load(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, h in header.items():
        start, end = h["data_offsets"]
        arr = np.frombuffer(data[start:end], dtype=DTYPES[h["dtype"]]).reshape(h["shape"])
        tensors[name] = torch.from_numpy(arr.copy())
    return tensors, meta


def save(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        arr = t.detach().contiguous().numpy()
        b = arr.tobytes()
        header[name] = {"dtype": NAMES[arr.dtype], "shape": list(arr.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def unflatten(theta, layout):
    return [theta[s["offset"]:s["offset"] + int(np.prod(s["shape"]))].view(s["shape"]) for s in layout]


def features(x, params, net, running, training):
    """ConvNet: depth × [conv3x3 → norm → relu → avgpool 2], flattened (the reference's `embed`)."""
    i = 0
    for d in range(net["depth"]):
        pad = 3 if x.shape[1] == 1 and d == 0 else 1
        x = F.conv2d(x, params[i], params[i + 1], padding=pad)
        w, b = params[i + 2], params[i + 3]
        if net["norm"] == "instancenorm":
            x = F.group_norm(x, w.shape[0], w, b, eps=1e-5)
        else:
            mean, var = running[d]
            x = F.batch_norm(x, mean, var, w, b, training=training, momentum=0.1, eps=1e-5)
        x = F.avg_pool2d(F.relu(x), 2)
        i += 4
    return x.flatten(1)


def logits(x, params, net, running, training):
    return F.linear(features(x, params, net, running, training), params[-2], params[-1])


def distance_wb(gwr, gws):
    """DC `utils.py` distance_wb: per output unit 1 - cos; 1-D tensors (biases, norm weights) give 0."""
    shape = gwr.shape
    if len(shape) == 4:
        gwr = gwr.reshape(shape[0], shape[1] * shape[2] * shape[3])
        gws = gws.reshape(shape[0], shape[1] * shape[2] * shape[3])
    elif len(shape) == 3:
        gwr = gwr.reshape(shape[0], shape[1] * shape[2])
        gws = gws.reshape(shape[0], shape[1] * shape[2])
    elif len(shape) == 1:
        return torch.tensor(0, dtype=gwr.dtype)
    return torch.sum(1 - torch.sum(gwr * gws, dim=-1) / (torch.norm(gwr, dim=-1) * torch.norm(gws, dim=-1) + 0.000001))


def match_loss(gw_syn, gw_real, metric):
    if metric == "ours":
        return sum(distance_wb(gw_real[i], gw_syn[i]) for i in range(len(gw_real)))
    r = torch.cat([g.reshape(-1) for g in gw_real])
    s = torch.cat([g.reshape(-1) for g in gw_syn])
    if metric == "mse":
        return torch.sum((s - r) ** 2)
    return 1 - torch.sum(r * s) / (torch.norm(r) * torch.norm(s) + 0.000001)


def main():
    tensors, meta = load(sys.argv[1])
    net = json.loads(meta["net"])
    layout = json.loads(meta["layout"])
    params = [p.clone().requires_grad_() for p in unflatten(tensors["theta"], layout)]
    running = [(tensors[f"bn{d}_mean"], tensors[f"bn{d}_var"]) for d in range(net["depth"])] if net["norm"] == "batchnorm" else None
    syn = tensors["syn"].clone().requires_grad_()
    if meta["mode"] == "dc":
        label = int(meta["label"])
        training = running is None            # BatchNorm frozen (eval mode) as main.py does after its BN pass
        real = tensors["real"]
        y_real = torch.full((real.shape[0],), label, dtype=torch.long)
        y_syn = torch.full((syn.shape[0],), label, dtype=torch.long)
        gw_real = torch.autograd.grad(F.cross_entropy(logits(real, params, net, running, training), y_real), params)
        gw_real = [g.detach().clone() for g in gw_real]
        gw_syn = torch.autograd.grad(F.cross_entropy(logits(syn, params, net, running, training), y_syn), params, create_graph=True)
        loss = match_loss(gw_syn, gw_real, meta["metric"])
    else:
        real_counts = json.loads(meta["real_counts"])
        syn_counts = json.loads(meta["syn_counts"])
        real_parts = torch.split(tensors["real"], real_counts)
        syn_parts = torch.split(syn, syn_counts)
        loss = torch.tensor(0.0, dtype=syn.dtype)
        for c in range(len(real_counts)):     # per class, as main_DM.py does for networks without BatchNorm
            out_real = features(real_parts[c], params, net, None, True).detach()
            out_syn = features(syn_parts[c], params, net, None, True)
            loss = loss + torch.sum((torch.mean(out_real, dim=0) - torch.mean(out_syn, dim=0)) ** 2)
    (grad,) = torch.autograd.grad(loss, [syn])
    save(sys.argv[2], {"loss": loss.detach().reshape(1), "grad_syn": grad})


if __name__ == "__main__":
    main()
