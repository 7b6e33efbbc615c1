"""The timing protocol shared with bench/DDist.Bench/StepTimer.cs: `warmup` untimed steps, then each of
`timed` steps timed on its own, in wall-clock and in process CPU seconds (all threads); the median step is the
headline figure."""
import statistics
import time

import torch


def synchronize():
    """CUDA runs asynchronously: a step is done when the device is (as the C# side's Tensors.CudaSynchronize)."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def measure(warmup, timed, step):
    """Returns (wall seconds, cpu seconds) of each timed step."""
    for _ in range(warmup):
        step()
    wall, cpu = [], []
    for _ in range(timed):
        c0 = time.process_time()
        t0 = time.perf_counter()
        step()
        synchronize()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def median(values):
    return statistics.median(values)
