"""Independent PyTorch reference for DDist's cross-check tests (tests/DDist.Tests/Distillation/PyTorchCrossCheckTests.cs).

Written from the papers and the reference repositories' behaviour, not from DDist's code:
  * the ConvNet family of DC/MTT/SelMatch `networks.py` (conv3x3 -> instancenorm = GroupNorm(C, C) or BatchNorm2d
    -> ReLU -> AvgPool2d(2), padding 3 on the first conv of 1-channel input, then Linear), run as a pure function of
    one flat parameter vector in `parameters()` order, as MTT's ReparamModule does;
  * `matching`: one MTT outer iteration (Cazenavette et al. 2022, `distill.py`) on given mini-batches:
    N unrolled SGD steps theta <- theta - lr * grad CE (create_graph=True), then
    L = ||theta_N - theta*||^2 / ||theta_0 - theta*||^2, and dL/d(images), dL/d(lr);
  * `expert`: one epoch of plain SGD (`buffer.py`: lr_teacher, momentum 0, no weight decay) on given mini-batches.

Usage: mtt_crosscheck.py MODE SPEC.json IN.safetensors OUT.safetensors
Tensors travel as safetensors files, parsed here in a few lines (Debian has no python3-safetensors).
"""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {'F32': np.float32, 'F64': np.float64, 'I64': np.int64}
NAMES = {np.dtype(np.float32): 'F32', np.dtype(np.float64): 'F64', np.dtype(np.int64): 'I64'}


def load(path):
    raw = open(path, 'rb').read()
    n = int.from_bytes(raw[:8], 'little')
    header = json.loads(raw[8:8 + n])
    header.pop('__metadata__', None)
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        b, e = info['data_offsets']
        arr = np.frombuffer(data[b:e], dtype=np.dtype(DTYPES[info['dtype']]).newbyteorder('<')).reshape(info['shape'])
        out[name] = torch.from_numpy(arr.copy())
    return out


def save(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name].detach().cpu().numpy())
        header[name] = {'dtype': NAMES[a.dtype], 'shape': list(a.shape), 'data_offsets': [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    h = json.dumps(header).encode('utf-8')
    with open(path, 'wb') as f:
        f.write(len(h).to_bytes(8, 'little'))
        f.write(h)
        for b in blobs:
            f.write(b)


def convnet(spec):
    """The parameter shapes, in parameters() order, and the forward pass of a ConvNet taking a flat vector."""
    c, h, w = spec['channels'], spec['height'], spec['width']
    width, depth, norm, classes = spec['net_width'], spec['depth'], spec['norm'], spec['classes']
    shapes, layers = [], []
    for d in range(depth):
        pad = 3 if c == 1 and d == 0 else 1
        shapes += [(width, c, 3, 3), (width,)]
        if norm != 'none':
            shapes += [(width,), (width,)]
        layers.append(pad)
        h, w = (h + 2 * pad - 2) // 2, (w + 2 * pad - 2) // 2
        c = width
    features = width * h * w
    shapes += [(classes, features), (classes,)]

    def forward(x, flat):
        params, at = [], 0
        for s in shapes:
            k = int(np.prod(s))
            params.append(flat[at:at + k].view(*s))
            at += k
        assert at == flat.numel(), f'flat vector has {flat.numel()} entries, the ConvNet {at}'
        i = 0
        for pad in layers:
            x = F.conv2d(x, params[i], params[i + 1], padding=pad)
            i += 2
            if norm == 'instancenorm':
                x = F.group_norm(x, x.shape[1], params[i], params[i + 1], eps=1e-5)
                i += 2
            elif norm == 'batchnorm':
                x = F.batch_norm(x, None, None, params[i], params[i + 1], training=True, eps=1e-5)
                i += 2
            x = F.avg_pool2d(F.relu(x), 2)
        return F.linear(x.flatten(1), params[i], params[i + 1])

    return forward, sum(int(np.prod(s)) for s in shapes)


def batches(t):
    flat, sizes = t['batches'].tolist(), t['batch_sizes'].tolist()
    out, at = [], 0
    for s in sizes:
        out.append(torch.tensor(flat[at:at + s], dtype=torch.int64))
        at += s
    return out


def matching(forward, t):
    images = t['images'].clone().requires_grad_(True)
    lr = t['lr'].clone().requires_grad_(True)
    theta0, target, labels = t['theta0'], t['theta_star'], t['labels']
    theta = theta0.clone().requires_grad_(True)
    for b in batches(t):
        ce = F.cross_entropy(forward(images[b], theta), labels[b])
        g = torch.autograd.grad(ce, theta, create_graph=True)[0]
        theta = theta - lr * g
    loss = ((theta - target) ** 2).sum() / ((theta0 - target) ** 2).sum()
    g_images, g_lr = torch.autograd.grad(loss, [images, lr])
    return {'loss': loss.detach().reshape(1), 'grad_images': g_images, 'grad_lr': g_lr.reshape(1)}


def expert(forward, t):
    theta = t['theta0'].clone()
    images, labels, lr = t['images'], t['labels'], float(t['lr'].item())
    for b in batches(t):
        theta.requires_grad_(True)
        ce = F.cross_entropy(forward(images[b], theta), labels[b])
        g = torch.autograd.grad(ce, theta)[0]
        theta = (theta - lr * g).detach()
    return {'theta': theta}


def main():
    mode, spec_path, in_path, out_path = sys.argv[1:5]
    torch.set_num_threads(2)
    spec = json.load(open(spec_path))
    forward, count = convnet(spec)
    t = load(in_path)
    assert t['theta0'].numel() == count, f"theta0 has {t['theta0'].numel()} entries, the reference ConvNet {count}"
    save(out_path, {'matching': matching, 'expert': expert}[mode](forward, t))


if __name__ == '__main__':
    main()
