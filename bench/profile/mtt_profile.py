"""One MTT inner loop in PyTorch, the twin of bench/profile/MttProfile (C#): a flat-parameter ConvNet, syn_steps
SGD steps on mini-batches of the synthetic images with create_graph, L = |θ_N − θ*|² / |θ0 − θ*|², and the
gradient into the images and the step size (Cazenavette et al. 2022, MTT `distill.py`).

  /usr/bin/python3 bench/profile/mtt_profile.py --width 32 --dump /tmp/mtt   # writes the inputs and gradients
  /usr/bin/python3 bench/profile/mtt_profile.py --width 32 --profile         # torch.profiler table
The dump (npy) holds images, labels, θ0, θ*, lr, the batch indices and the gradients, so the C# side can run the
very same work and compare gradients."""
import argparse, os, time
import numpy as np
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--width", type=int, default=32)
p.add_argument("--depth", type=int, default=3)
p.add_argument("--norm", default="instance", choices=["instance", "batch", "none"])
p.add_argument("--channels", type=int, default=1)
p.add_argument("--size", type=int, default=28)
p.add_argument("--images", type=int, default=300)
p.add_argument("--batch-syn", type=int, default=100)
p.add_argument("--syn-steps", type=int, default=20)
p.add_argument("--iters", type=int, default=3)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--dtype", default="float32")
p.add_argument("--dump", default=None)
p.add_argument("--profile", action="store_true")
a = p.parse_args()
torch.set_num_threads(a.threads)
dt = getattr(torch, a.dtype)
torch.manual_seed(0)
classes = 10

# Parameter slots in DDist's ConvNet order: conv w, b, [norm w, b] per block, then classifier w, b.
shapes = []
c, h = a.channels, a.size
for d in range(a.depth):
    pad = 3 if (a.channels == 1 and d == 0) else 1
    shapes += [(a.width, c, 3, 3), (a.width,)]
    if a.norm != "none":
        shapes += [(a.width,), (a.width,)]
    c = a.width
    h = (h + 2 * pad - 2) // 2
feat = c * h * h
shapes += [(classes, feat), (classes,)]
count = sum(int(np.prod(s)) for s in shapes)


def forward(x, theta):
    off = 0
    def take(s):
        nonlocal off
        n = int(np.prod(s)); t = theta[off:off + n].view(s); off += n; return t
    for d in range(a.depth):
        pad = 3 if (a.channels == 1 and d == 0) else 1
        w = take(shapes[0]) if False else None
        w = take((a.width, x.shape[1], 3, 3)); b = take((a.width,))
        x = F.conv2d(x, w, b, padding=pad)
        if a.norm == "instance":
            x = F.group_norm(x, a.width, take((a.width,)), take((a.width,)))
        elif a.norm == "batch":
            x = F.batch_norm(x, None, None, take((a.width,)), take((a.width,)), training=True)
        x = F.relu(x)
        x = F.avg_pool2d(x, 2)
    x = x.flatten(1)
    return F.linear(x, take((classes, feat)), take((classes,)))


images = torch.randn(a.images, a.channels, a.size, a.size, dtype=dt)
labels = torch.arange(a.images) % classes
theta0 = torch.randn(count, dtype=dt) * 0.05
theta_star = theta0 + torch.randn(count, dtype=dt) * 0.01
lr = torch.tensor(0.01, dtype=dt)
idx = torch.stack([torch.randperm(a.images)[:a.batch_syn] for _ in range(a.syn_steps)])


def iteration():
    img = images.detach().requires_grad_()
    alpha = lr.detach().requires_grad_()
    theta = theta0.detach().requires_grad_()
    start = theta
    for s in range(a.syn_steps):
        i = idx[s]
        ce = F.cross_entropy(forward(img[i], theta), labels[i])
        g = torch.autograd.grad(ce, theta, create_graph=True)[0]
        theta = theta - alpha * g
    loss = (theta - theta_star).square().sum() / (theta0 - theta_star).square().sum()
    gi, ga = torch.autograd.grad(loss, [img, alpha])
    return loss, gi, ga


if a.profile:
    iteration()
    from torch.profiler import profile, ProfilerActivity
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        iteration()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=30))
    prof.export_chrome_trace(f"/tmp/pytorch_mtt_w{a.width}.json")
else:
    times, cpus = [], []
    for k in range(a.iters):
        t, c = time.perf_counter(), time.process_time()
        loss, gi, ga = iteration()
        times.append(time.perf_counter() - t); cpus.append(time.process_time() - c)
    print(f"pytorch mtt width {a.width} norm {a.norm}: " + " ".join(f"{x:.3f}" for x in times) +
          f" s  (median {sorted(times)[len(times)//2]:.3f}); cpu s " + " ".join(f"{x:.3f}" for x in cpus) +
          f" (min {min(cpus):.3f})  loss {loss.item():.6f}")
    if a.dump:
        os.makedirs(a.dump, exist_ok=True)
        for name, t in dict(images=images, labels=labels, theta0=theta0, theta_star=theta_star, lr=lr.reshape(1),
                            idx=idx, grad_images=gi, grad_lr=ga.reshape(1), loss=loss.detach().reshape(1)).items():
            np.save(os.path.join(a.dump, name + ".npy"), t.detach().numpy())
