"""`dm-iteration` and `dc-outer-iteration` as the DC repository runs them (main_DM.py, main.py), over explicit
parameter tensors with torch.nn.functional, in the setting of bench/DDist.Bench/FamilyWork.cs: 1x28x28 images
(N(0, 1) pixels), 10 classes of 512 real images, IPC 10, ConvNet (width 128, depth 3, GroupNorm(128, 128) affine,
ReLU, AvgPool 2; the first conv pads by 3), batch_real = --batch. No DSA on either side.

dm-iteration: a fresh network (no grad), per class the embedding means of a random real batch and of the class's
synthetic images, the summed squared difference, its gradient, one SGD step (lr 1, momentum 0.5) on the images.
dc-outer-iteration: at a fixed network, per class the real gradient and the synthetic gradient with its graph,
the layer-wise distance (distance_wb), one backward of the summed loss, one SGD step (lr 0.1, momentum 0.5)."""
import math

import torch
import torch.nn.functional as F

from timing import measure, median

CLASSES, PER_CLASS, IPC, SIZE, WIDTH, DEPTH = 10, 512, 10, 28, 128, 3
MAX_TIMED = 5


def _uniform(shape, fan_in):
    t = torch.empty(shape)
    bound = 1 / math.sqrt(fan_in)
    return t.uniform_(-bound, bound)


def init_parameters():
    ps, c = [], 1
    for _ in range(DEPTH):
        ps += [_uniform([WIDTH, c, 3, 3], c * 9), _uniform([WIDTH], c * 9), torch.ones(WIDTH), torch.zeros(WIDTH)]
        c = WIDTH
    features = WIDTH * 4 * 4
    return ps + [_uniform([CLASSES, features], features), _uniform([CLASSES], features)]


def embed(x, ps):
    for d in range(DEPTH):
        x = F.conv2d(x, ps[4 * d], ps[4 * d + 1], padding=3 if d == 0 else 1)
        x = F.avg_pool2d(F.relu(F.group_norm(x, WIDTH, ps[4 * d + 2], ps[4 * d + 3])), 2)
    return x.flatten(1)


def forward(x, ps):
    return F.linear(embed(x, ps), ps[-2], ps[-1])


def distance_wb(gwr, gws):
    if gwr.dim() == 1:
        return torch.tensor(0.0)
    gwr = gwr.reshape(gwr.shape[0], -1)
    gws = gws.reshape(gws.shape[0], -1)
    return torch.sum(1 - torch.sum(gwr * gws, dim=-1) / (torch.norm(gwr, dim=-1) * torch.norm(gws, dim=-1) + 0.000001))


def _setup(settings):
    torch.manual_seed(settings.seed)
    pool = torch.randn(CLASSES, PER_CLASS, 1, SIZE, SIZE)
    syn = torch.randn(CLASSES * IPC, 1, SIZE, SIZE).requires_grad_()
    return pool, syn


def _sample(pool, c, n):
    return pool[c][torch.randperm(PER_CLASS)[:n]]


def _result(wall, cpu, losses, settings, work):
    m = median(wall)
    return {
        "metrics": [
            {"name": "iterations/s", "value": 1 / m, "higher_is_better": True},
            {"name": "s/iteration", "value": m, "higher_is_better": False},
            {"name": "cpu s/iteration", "value": median(cpu), "higher_is_better": False},
        ],
        "details": {"ipc": IPC, "classes": CLASSES, "batch_real": settings.batch, "timed": len(wall),
                    "iteration_s": [round(s, 4) for s in wall], "first_loss": losses[0], "last_loss": losses[-1], "work": work},
    }


def run_dm(settings):
    pool, syn = _setup(settings)
    opt = torch.optim.SGD([syn], lr=1.0, momentum=0.5)
    losses = []

    def step():
        ps = init_parameters()
        loss = torch.tensor(0.0)
        for c in range(CLASSES):
            out_real = embed(_sample(pool, c, settings.batch), ps).detach()
            out_syn = embed(syn[c * IPC:(c + 1) * IPC], ps)
            loss = loss + torch.sum((torch.mean(out_real, dim=0) - torch.mean(out_syn, dim=0)) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())

    wall, cpu = measure(min(settings.warmup, 1), min(settings.steps, MAX_TIMED), step)
    return _result(wall, cpu, losses, settings, "main_DM.py iteration (per-class embeds, no DSA)")


def run_dc(settings):
    pool, syn = _setup(settings)
    ps = [p.requires_grad_() for p in init_parameters()]
    opt = torch.optim.SGD([syn], lr=0.1, momentum=0.5)
    losses = []

    def step():
        loss = torch.tensor(0.0)
        for c in range(CLASSES):
            y_real = torch.full((settings.batch,), c, dtype=torch.long)
            gw_real = torch.autograd.grad(F.cross_entropy(forward(_sample(pool, c, settings.batch), ps), y_real), ps)
            gw_real = [g.detach().clone() for g in gw_real]
            y_syn = torch.full((IPC,), c, dtype=torch.long)
            gw_syn = torch.autograd.grad(F.cross_entropy(forward(syn[c * IPC:(c + 1) * IPC], ps), y_syn), ps, create_graph=True)
            loss = loss + sum(distance_wb(gr, gs) for gr, gs in zip(gw_real, gw_syn))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())

    wall, cpu = measure(min(settings.warmup, 1), min(settings.steps, MAX_TIMED), step)
    return _result(wall, cpu, losses, settings, "main.py outer-loop step (layer-wise distance, no DSA)")
