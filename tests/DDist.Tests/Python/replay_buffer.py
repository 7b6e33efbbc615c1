"""Expert trajectories written as MTT's `buffer.py` writes them, for `ddist import-experts`' tests
(tests/DDist.Tests/Cli/ImportExpertsCliTests.cs).

Written from MTT's paper and its buffer format, not from DDist's code: a ConvNet as an nn.Module (DC/MTT
`networks.py`'s layer order: depth x [Conv2d 3x3 (padding 3 on a 1-channel first layer) -> GroupNorm(C, C) ->
ReLU -> AvgPool2d(2)], then Linear), trained with plain SGD on the given images; each expert is the list of its
snapshots `[p.detach().cpu() for p in net.parameters()]` (the initialisation, then one per epoch), and
`torch.save(list_of_experts, 'replay_buffer_N.pt')` holds `experts_per_file` of them.

Usage: replay_buffer.py SPEC.json DATA.safetensors OUT_DIR
Writes OUT_DIR/replay_buffer_{0,1,...}.pt, OUT_DIR/flat.safetensors (expert j's snapshot e flattened in parameters()
order, as 'expert{j}_epoch{e}') and OUT_DIR/accuracy.json (each expert's last snapshot on the test images).
Also writes the malformed files the tests refuse: OUT_DIR/one_tensor.pt, OUT_DIR/uneven.pt (two experts whose
snapshot counts differ).
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtt_crosscheck import load, save  # noqa: E402  (our safetensors reader and writer)


class ConvNet(nn.Module):
    def __init__(self, channels, classes, size, width, depth):
        super().__init__()
        layers, c, s = [], channels, size
        for d in range(depth):
            pad = 3 if channels == 1 and d == 0 else 1
            layers += [nn.Conv2d(c, width, 3, padding=pad), nn.GroupNorm(width, width, affine=True), nn.ReLU(inplace=True), nn.AvgPool2d(2, 2)]
            s = (s + 2 * pad - 2) // 2
            c = width
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(width * s * s, classes)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


def accuracy(net, x, y):
    net.eval()
    with torch.no_grad():
        correct = (net(x).argmax(1) == y).sum().item()
    net.train()
    return correct / len(y)


def main():
    spec = json.load(open(sys.argv[1]))
    data = load(sys.argv[2])
    out = sys.argv[3]
    torch.manual_seed(spec['seed'])
    x, y, tx, ty = data['train_x'], data['train_y'], data['test_x'], data['test_y']
    experts, flat, scores = [], {}, []
    for j in range(spec['experts']):
        net = ConvNet(x.shape[1], spec['classes'], x.shape[2], spec['width'], spec['depth'])
        optimizer = torch.optim.SGD(net.parameters(), lr=spec['lr'], momentum=0, weight_decay=0)
        snapshots = [[p.detach().cpu() for p in net.parameters()]]
        for _ in range(spec['epochs']):
            order = torch.randperm(len(y))
            for b in range(0, len(y), spec['batch']):
                idx = order[b:b + spec['batch']]
                optimizer.zero_grad()
                F.cross_entropy(net(x[idx]), y[idx]).backward()
                optimizer.step()
            snapshots.append([p.detach().cpu().clone() for p in net.parameters()])
        for e, params in enumerate(snapshots):
            flat[f'expert{j}_epoch{e}'] = torch.cat([p.reshape(-1) for p in params])
        scores.append(accuracy(net, tx, ty))
        experts.append(snapshots)
    per = spec['experts_per_file']
    for n, start in enumerate(range(0, len(experts), per)):
        torch.save(experts[start:start + per], os.path.join(out, f'replay_buffer_{n}.pt'))
    save(os.path.join(out, 'flat.safetensors'), flat)
    json.dump({'accuracy': scores}, open(os.path.join(out, 'accuracy.json'), 'w'))
    torch.save(torch.zeros(3, 3), os.path.join(out, 'one_tensor.pt'))
    torch.save([experts[0], experts[1][:-1]], os.path.join(out, 'uneven.pt'))


if __name__ == '__main__':
    main()
