"""eval-run: the twin of bench/DDist.Bench/EvalRun.cs — a fresh ConvNet trained on 10 Fashion-MNIST images per
class (SGD lr 0.01, momentum 0.9, wd 5e-4, batch 256) for E epochs, then tested on the 10,000 test images."""
import time

import torch

import fmnist_work


def run(s):
    device = torch.device(s.device)
    x, y = fmnist_work.first_per_class(True, 10, s.dataset, device)
    tx, ty = fmnist_work.first(False, 10000, s.dataset, device)
    torch.manual_seed(s.seed)
    c0, t0 = time.process_time(), time.perf_counter()
    net = fmnist_work.convnet("instance").to(device)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    for _ in range(s.eval_epochs):
        fmnist_work.train_epoch(net, opt, x, y, 256)
    acc = fmnist_work.accuracy(net, tx, ty)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"metrics": [
        {"name": "runs/min", "value": 60 / wall, "higher_is_better": True},
        {"name": "s/run", "value": wall, "higher_is_better": False},
        {"name": "cpu s/run", "value": cpu, "higher_is_better": False},
    ], "details": {"epochs": s.eval_epochs, "train_images": len(x), "test_acc": acc, "dataset": s.dataset, "device": str(device)}}
