"""Independent PyTorch reference for DDist's cross-check tests (tests/DDist.Tests/Distillation/PyTorchCrossCheckTests.cs).

Written from the papers and the reference repositories' behaviour, not from DDist's code:
  * the ConvNet family of DC/MTT/SelMatch `networks.py` (conv3x3 -> instancenorm = GroupNorm(C, C) or BatchNorm2d
    -> ReLU -> AvgPool2d(2), padding 3 on the first conv of 1-channel input, then Linear), run as a pure function of
    one flat parameter vector in `parameters()` order, as MTT's ReparamModule does;
  * `matching`: one MTT outer iteration (Cazenavette et al. 2022, `distill.py`) on given mini-batches:
    N unrolled SGD steps theta <- theta - lr * grad CE (create_graph=True), then
    L = ||theta_N - theta*||^2 / ||theta_0 - theta*||^2, and dL/d(images), dL/d(lr);
  * `expert`: one epoch of plain SGD (`buffer.py`: lr_teacher, momentum 0, no weight decay) on given mini-batches;
  * `gsam`: the same epoch with GSAM (Zhuang et al. 2022) over the SGD step, as DATM's `buffer_FTD.py` trains experts:
    per parameter tensor, e = rho * g / (||g|| + eps) (adaptive: rho * g * p^2 / (|| |p| * g || + eps)), g' the
    gradient at p + e (batch-norm running statistics not updated there), d = g' - alpha * (g - cos(g, g') ||g|| g'/||g'||),
    p <- p - lr * d; norms are the norm of the per-tensor norms. Batch norm keeps running statistics (momentum 0.1)
    from each step's first pass, which are returned.

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

    def forward(x, flat, stats=None):
        params, at = [], 0
        for s in shapes:
            k = int(np.prod(s))
            params.append(flat[at:at + k].view(*s))
            at += k
        assert at == flat.numel(), f'flat vector has {flat.numel()} entries, the ConvNet {at}'
        i = 0
        layers_done = []
        for pad in layers:
            x = F.conv2d(x, params[i], params[i + 1], padding=pad)
            i += 2
            if norm == 'instancenorm':
                x = F.group_norm(x, x.shape[1], params[i], params[i + 1], eps=1e-5)
                i += 2
            elif norm == 'batchnorm':
                mean, var = stats[len(layers_done)] if stats is not None else (None, None)
                x = F.batch_norm(x, mean, var, params[i], params[i + 1], training=True, momentum=0.1, eps=1e-5)
                i += 2
            x = F.avg_pool2d(F.relu(x), 2)
            layers_done.append(pad)
        return F.linear(x.flatten(1), params[i], params[i + 1])

    return forward, shapes


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


def gsam(forward, shapes, t, spec):
    images, labels, lr = t['images'], t['labels'], float(t['lr'].item())
    rho, alpha, adaptive = float(t['rho'].item()), float(t['alpha'].item()), bool(t['adaptive'].item())
    eps = 1e-12
    stats = None
    if spec['norm'] == 'batchnorm':
        stats = [(torch.zeros(spec['net_width'], dtype=images.dtype), torch.ones(spec['net_width'], dtype=images.dtype))
                 for _ in range(spec['depth'])]

    def split(flat):
        out, at = [], 0
        for s in shapes:
            k = int(np.prod(s))
            out.append(flat[at:at + k].view(*s))
            at += k
        return out

    def grad_at(flat, x, y, running):
        flat = flat.detach().requires_grad_(True)
        return torch.autograd.grad(F.cross_entropy(forward(x, flat, running), y), flat)[0]

    def norm_of(tensors):
        return torch.norm(torch.stack([v.norm(p=2) for v in tensors]), p=2)

    theta = t['theta0'].clone()
    for b in batches(t):
        x, y = images[b], labels[b]
        g = grad_at(theta, x, y, stats)
        with torch.no_grad():
            P, G = split(theta), split(g)
            scale = rho / (norm_of([(p.abs() if adaptive else 1.0) * gi for p, gi in zip(P, G)]) + eps)
            E = [gi * scale * (p ** 2 if adaptive else 1.0) for p, gi in zip(P, G)]
            perturbed = torch.cat([(p + e).reshape(-1) for p, e in zip(P, E)])
        G2 = split(grad_at(perturbed, x, y, None))
        with torch.no_grad():
            inner = sum((gi * g2i).sum() for gi, g2i in zip(G, G2))
            n_old, n_new = norm_of(G), norm_of(G2)
            cosine = inner / (n_new * n_old + eps)
            D = [g2i - alpha * (gi - cosine * n_old * g2i / (n_new + eps)) for gi, g2i in zip(G, G2)]
            theta = theta - lr * torch.cat([d.reshape(-1) for d in D])
    out = {'theta': theta}
    for k, (mean, var) in enumerate(stats or []):
        out[f'running_mean_{k}'], out[f'running_var_{k}'] = mean, var
    return out


def main():
    mode, spec_path, in_path, out_path = sys.argv[1:5]
    torch.set_num_threads(2)
    spec = json.load(open(spec_path))
    forward, shapes = convnet(spec)
    count = sum(int(np.prod(s)) for s in shapes)
    t = load(in_path)
    assert t['theta0'].numel() == count, f"theta0 has {t['theta0'].numel()} entries, the reference ConvNet {count}"
    if mode == 'gsam':
        save(out_path, gsam(forward, shapes, t, spec))
    else:
        save(out_path, {'matching': matching, 'expert': expert}[mode](forward, t))


if __name__ == '__main__':
    main()
