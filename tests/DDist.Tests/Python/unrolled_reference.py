"""Independent PyTorch computations that the C# tests compare against (run with /usr/bin/python3, Debian's torch).

usage: unrolled_reference.py IN.safetensors OUT.safetensors

Reads the inputs the C# test wrote, recomputes with torch.autograd and writes the results:
  - DD / soft-label DD (Wang et al. 2018; Sucholutsky & Schonlau): T unrolled GD steps on a tiny LeNet with
    per-step alpha = softplus(r), soft cross-entropy on raw label rows, hard CE on a real batch; gradients with
    respect to the images, the label rows and r.
  - one plain GD step with soft targets (the learned-steps evaluation).
  - local response norm, and the forward pass of AlexCifarNet (local response norm, overlapping max pooling).
  - DATM's matching loss with softmax(label logits) as targets and its gradient with respect to the logits.
The safetensors format is parsed here by hand (8-byte header length, JSON header, raw little-endian data).
"""
import json
import struct
import sys

import torch
import torch.nn.functional as F

DT = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}
NAME = {v: k for k, v in DT.items()}


def load(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        buf = bytearray(raw[8 + n + a:8 + n + b])
        out[k] = torch.frombuffer(buf, dtype=DT[v["dtype"]]).reshape(v["shape"]).clone() if b > a else torch.zeros(v["shape"], dtype=DT[v["dtype"]])
    return out


def save(path, tensors):
    header, blobs, off = {}, [], 0
    for k, t in tensors.items():
        b = t.detach().contiguous().numpy().tobytes()
        header[k] = {"dtype": NAME[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def unflatten(flat, shapes):
    out, o = [], 0
    for s in shapes:
        n = 1
        for d in s:
            n *= d
        out.append(flat[o:o + n].view(*s))
        o += n
    return out


def lenet(x, w, k):
    c = x.shape[1]
    shapes = [(6, c, 5, 5), (6,), (16, 6, 5, 5), (16,)]
    side = x.shape[2] + (4 if c == 1 else 0)
    side = ((side - 4) // 2 - 4) // 2
    feat = 16 * side * side
    shapes += [(120, feat), (120,), (84, 120), (84,), (k, 84), (k,)]
    p = unflatten(w, shapes)
    h = F.max_pool2d(F.relu(F.conv2d(x, p[0], p[1], padding=2 if c == 1 else 0)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, p[2], p[3])), 2).flatten(1)
    h = F.relu(F.linear(h, p[4], p[5]))
    h = F.relu(F.linear(h, p[6], p[7]))
    return F.linear(h, p[8], p[9])


def alex_cifar(x, w, k):
    shapes = [(64, x.shape[1], 5, 5), (64,), (64, 64, 5, 5), (64,), (384, 4096), (384,), (192, 384), (192,), (k, 192), (k,)]
    p = unflatten(w, shapes)
    h = F.local_response_norm(F.max_pool2d(F.relu(F.conv2d(x, p[0], p[1], padding=2)), 3, 2, 1), 4, 0.001 / 9.0, 0.75, 1)
    h = F.max_pool2d(F.local_response_norm(F.relu(F.conv2d(h, p[2], p[3], padding=2)), 4, 0.001 / 9.0, 0.75, 1), 3, 2, 1)
    h = F.relu(F.linear(h.flatten(1), p[4], p[5]))
    h = F.relu(F.linear(h, p[6], p[7]))
    return F.linear(h, p[8], p[9])


def soft_ce(z, y):
    return -(y * F.log_softmax(z, 1)).sum(1).mean()


def main():
    t = load(sys.argv[1])
    k = int(t["classes"].item())
    out = {}

    # DD / SLD unrolled loss and its gradients.
    S = int(t["dd.steps"].item())
    xs = [t[f"dd.x{s}"].clone().requires_grad_() for s in range(S)]
    ys = [t[f"dd.y{s}"].clone().requires_grad_() for s in range(S)]
    r = t["dd.r"].clone().requires_grad_()
    alpha = F.softplus(r)
    w = t["dd.w0"].clone().requires_grad_()
    for i in range(r.numel()):
        s = i % S
        g, = torch.autograd.grad(soft_ce(lenet(xs[s], w, k), ys[s]), w, create_graph=True)
        w = w - alpha[i] * g
    loss = F.cross_entropy(lenet(t["dd.real_x"], w, k), t["dd.real_y"])
    grads = torch.autograd.grad(loss, xs + ys + [r])
    out["dd.loss"] = loss.detach().reshape(1)
    for s in range(S):
        out[f"dd.gx{s}"] = grads[s]
        out[f"dd.gy{s}"] = grads[S + s]
    out["dd.gr"] = grads[2 * S]

    # One plain GD step with soft targets.
    w0 = t["dd.w0"].clone().requires_grad_()
    g, = torch.autograd.grad(soft_ce(lenet(t["dd.x0"], w0, k), t["gd.targets"]), w0)
    out["gd.w1"] = (w0 - float(t["gd.lr"].item()) * g).detach()

    # Local response norm with a large alpha (AlexCifarNet's 0.001/9 barely changes its input), sizes 4 and 5.
    out["lrn4"] = F.local_response_norm(t["lrn.x"], 4, 2.0, 0.75, 1.0)
    out["lrn5"] = F.local_response_norm(t["lrn.x"], 5, 2.0, 0.75, 1.0)

    # AlexCifarNet forward.
    out["alex.logits"] = alex_cifar(t["alex.x"], t["alex.w"], k).detach()

    # DATM: soft targets softmax(logits) inside MTT's unrolled student, gradient to images, logits and lr.
    x = t["datm.x"].clone().requires_grad_()
    yl = t["datm.logits"].clone().requires_grad_()
    lr = t["datm.lr"].clone().requires_grad_()
    th0, ths = t["datm.theta0"], t["datm.target"]
    th = th0.clone().requires_grad_()
    for _ in range(int(t["datm.steps"].item())):
        g, = torch.autograd.grad(soft_ce(lenet(x, th, k), F.softmax(yl, 1)), th, create_graph=True)
        th = th - lr * g
    L = ((th - ths) ** 2).sum() / ((th0 - ths) ** 2).sum()
    gx, gyl, glr = torch.autograd.grad(L, [x, yl, lr])
    out["datm.loss"] = L.detach().reshape(1)
    out["datm.gx"], out["datm.glogits"], out["datm.glr"] = gx, gyl, glr.reshape(1)
    save(sys.argv[2], out)


if __name__ == "__main__":
    main()
