"""The fixed cost of one call: adding two 1-element tensors (the result is released by reference counting),
as bench/DDist.Bench/TinyOpOverhead.cs."""
import time

import torch


def run(settings):
    a, b = torch.ones(1), torch.ones(1)

    def calls(n):
        for _ in range(n):
            a + b

    calls(settings.tiny_calls // 10)
    t0 = time.perf_counter_ns()
    calls(settings.tiny_calls)
    ns = (time.perf_counter_ns() - t0) / settings.tiny_calls
    return {
        "metrics": [{"name": "ns/call", "value": ns, "higher_is_better": False}],
        "details": {"calls": settings.tiny_calls, "op": "a + b, 1-element float32, result dropped"},
    }
