"""expert-epoch: the twin of bench/DDist.Bench/ExpertEpoch.cs — ConvNetBN, plain SGD lr 0.01, batch 256, no
augmentation, one epoch over the first N Fashion-MNIST training images after one warm-up epoch.
expert-epoch-gsam: the same epoch as DATM's buffer_FTD.py trains experts — ConvNet (instance norm) with GSAM
(Zhuang et al. 2022; rho 0.01, alpha 0.3, adaptive) over SGD lr 0.01, written here per parameter tensor as the `gsam`
package's optimiser steps (not installed on Debian): gradient, perturb by rho * g * p^2 / (|| |p| g || + eps), gradient
there, descend g' - alpha * (g - its projection on g'), restore, SGD step."""
import time

import torch
import torch.nn.functional as F

import fmnist_work

EPS = 1e-12


def gsam_epoch(net, opt, x, y, batch, rho=0.01, alpha=0.3):
    net.train()
    params = list(net.parameters())
    perm = torch.randperm(len(x)).to(x.device)
    total, correct = 0.0, 0
    for s in range(0, len(x), batch):
        idx = perm[s:s + batch]
        xb, yb = x[idx], y[idx]
        out = net(xb)
        loss = F.cross_entropy(out, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        with torch.no_grad():
            old = [p.grad.clone() for p in params]
            norm = torch.norm(torch.stack([(p.abs() * g).norm() for p, g in zip(params, old)]))
            scale = rho / (norm + EPS)
            shifts = [g * scale * p.pow(2) for p, g in zip(params, old)]
            for p, e in zip(params, shifts):
                p.add_(e)
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net(xb), yb).backward()
        with torch.no_grad():
            inner = sum((g * p.grad).sum() for p, g in zip(params, old))
            new_norm = torch.norm(torch.stack([p.grad.norm() for p in params]))
            old_norm = torch.norm(torch.stack([g.norm() for g in old]))
            cosine = inner / (new_norm * old_norm + EPS)
            for p, g, e in zip(params, old, shifts):
                p.grad.add_(g - cosine * old_norm * p.grad / (new_norm + EPS), alpha=-alpha)
                p.sub_(e)
        opt.step()
        total += loss.item() * len(idx)
        correct += (out.argmax(1) == yb).sum().item()
    return total / len(x), correct / len(x)


def _run(s, norm, epoch):
    device = torch.device(s.device)
    x, y = fmnist_work.first(True, s.expert_images, s.dataset, device)
    torch.manual_seed(s.seed)
    net = fmnist_work.convnet(norm).to(device)
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    epoch(net, opt, x, y, s.batch)
    c0, t0 = time.process_time(), time.perf_counter()
    loss, acc = epoch(net, opt, x, y, s.batch)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"metrics": [
        {"name": "images/s", "value": len(x) / wall, "higher_is_better": True},
        {"name": "s/epoch(60k)", "value": wall * 60000 / len(x), "higher_is_better": False},
        {"name": "cpu s/epoch(60k)", "value": cpu * 60000 / len(x), "higher_is_better": False},
    ], "details": {"images": len(x), "loss": loss, "train_acc": acc, "model": "ConvNetBN" if norm == "batch" else "ConvNet",
                    "optimizer": "sgd" if epoch is fmnist_work.train_epoch else "gsam", "dataset": s.dataset, "device": str(device)}}


def run(s):
    return _run(s, "batch", fmnist_work.train_epoch)


def run_gsam(s):
    return _run(s, "instance", gsam_epoch)
