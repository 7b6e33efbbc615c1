"""expert-epoch: the twin of bench/DDist.Bench/ExpertEpoch.cs — ConvNetBN, plain SGD lr 0.01, batch 256, no
augmentation, one epoch over the first N Fashion-MNIST training images after one warm-up epoch."""
import time

import torch

import fmnist_work


def run(s):
    device = torch.device(s.device)
    x, y = fmnist_work.first(True, s.expert_images, s.dataset, device)
    torch.manual_seed(s.seed)
    net = fmnist_work.convnet("batch").to(device)
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    fmnist_work.train_epoch(net, opt, x, y, s.batch)
    c0, t0 = time.process_time(), time.perf_counter()
    loss, acc = fmnist_work.train_epoch(net, opt, x, y, s.batch)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"metrics": [
        {"name": "images/s", "value": len(x) / wall, "higher_is_better": True},
        {"name": "s/epoch(60k)", "value": wall * 60000 / len(x), "higher_is_better": False},
        {"name": "cpu s/epoch(60k)", "value": cpu * 60000 / len(x), "higher_is_better": False},
    ], "details": {"images": len(x), "loss": loss, "train_acc": acc, "model": "ConvNetBN", "dataset": s.dataset,
                    "device": str(device)}}
