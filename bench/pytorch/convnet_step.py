"""One SGD training step of ConvNet (width 128, depth 3, GroupNorm(128, 128) affine, ReLU, AvgPool 2) on a
3x32x32, 10-class batch, written with torch.nn.functional over explicit parameter tensors (no nn.Module), the
same op sequence as bench/DDist.Bench/ConvNetTrainStep.cs: forward, cross-entropy, torch.autograd.grad,
plain SGD (lr 0.01) in place under torch.no_grad()."""
import math

import torch
import torch.nn.functional as F

from timing import measure, median

WIDTH, DEPTH, CLASSES, CHANNELS, IMAGE_SIZE = 128, 3, 10, 3, 32
LEARNING_RATE = 0.01


def _uniform(shape, fan_in, device):
    """Drawn by the CPU generator (as the C# side), then moved to the device."""
    t = torch.empty(shape)
    bound = 1 / math.sqrt(fan_in)
    t.uniform_(-bound, bound)
    return t.to(device).requires_grad_()


def init_parameters(device):
    """Per layer: conv weight, conv bias, norm gamma, norm beta; then classifier weight and bias (PyTorch's
    default init), drawn in the same order as the C# side so both start from identical tensors."""
    ps = []
    in_channels = CHANNELS
    for _ in range(DEPTH):
        fan_in = in_channels * 3 * 3
        ps.append(_uniform([WIDTH, in_channels, 3, 3], fan_in, device))
        ps.append(_uniform([WIDTH], fan_in, device))
        ps.append(torch.ones(WIDTH, device=device).requires_grad_())
        ps.append(torch.zeros(WIDTH, device=device).requires_grad_())
        in_channels = WIDTH
    features = WIDTH * (IMAGE_SIZE >> DEPTH) ** 2
    ps.append(_uniform([CLASSES, features], features, device))
    ps.append(_uniform([CLASSES], features, device))
    return ps


def step(ps, images, labels):
    x = images
    for d in range(DEPTH):
        x = F.conv2d(x, ps[4 * d], ps[4 * d + 1], stride=1, padding=1)
        x = F.group_norm(x, WIDTH, ps[4 * d + 2], ps[4 * d + 3])
        x = F.relu(x)
        x = F.avg_pool2d(x, 2)
    logits = F.linear(x.flatten(1), ps[-2], ps[-1])
    loss = F.cross_entropy(logits, labels)
    grads = torch.autograd.grad([loss], ps)
    with torch.no_grad():
        for p, g in zip(ps, grads):
            p.add_(g, alpha=-LEARNING_RATE)
    return loss.item()


def run(settings):
    torch.manual_seed(settings.seed)
    device = torch.device(settings.device)
    ps = init_parameters(device)
    images = torch.randn(settings.batch, CHANNELS, IMAGE_SIZE, IMAGE_SIZE).to(device)
    labels = torch.randint(0, CLASSES, (settings.batch,)).to(device)
    losses = []
    wall, cpu = measure(settings.warmup, settings.steps, lambda: losses.append(step(ps, images, labels)))
    m = median(wall)
    return {
        "metrics": [
            {"name": "steps/s", "value": 1 / m, "higher_is_better": True},
            {"name": "ms/step", "value": 1000 * m, "higher_is_better": False},
            {"name": "images/s", "value": settings.batch / m, "higher_is_better": True},
            {"name": "cpu ms/step", "value": 1000 * median(cpu), "higher_is_better": False},
        ],
        "details": {
            "batch": settings.batch, "warmup": settings.warmup, "timed": settings.steps,
            "step_ms": [round(1000 * s, 3) for s in wall], "step_cpu_ms": [round(1000 * s, 3) for s in cpu],
            "mean_ms": 1000 * sum(wall) / len(wall),
            "first_loss": losses[0], "last_loss": losses[-1],
            "model": "torch.nn.functional over explicit parameter tensors", "device": str(device),
        },
    }
