"""CPU tensor memory of this process, counted by DDist's shim, so both sides of the benchmark report the same
quantity measured the same way (on a GPU both read the CUDA caching allocator's peak instead). Loading
libddist_shim.so puts its counting allocator in front of libtorch's CPU allocator (the shim does that when it
loads); built against the same libtorch as this torch (Debian's, or the GPU machine's PyTorch), it then counts every
CPU tensor torch allocates. PyTorch itself keeps no CPU count, and resident memory cannot show a peak: the C library
keeps what is freed."""
import ctypes
import os

import torch

_lib = None


def load(path):
    """Loads the shim at `path` and checks that it counts this torch's tensors; returns a reason when it cannot."""
    global _lib
    if not path or not os.path.isfile(path):
        return f"no shim at {path!r} (DDIST_SHIM)"
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        return f"{path}: {e}"
    lib.dd_cpu_memory_stats.argtypes = [ctypes.POINTER(ctypes.c_uint8), ctypes.POINTER(ctypes.c_int64),
                                        ctypes.POINTER(ctypes.c_int64)]
    lib.dd_cpu_reset_peak_memory.argtypes = []
    _lib = lib
    before = allocated_bytes()
    probe = torch.empty(1 << 18)  # 1 MiB
    counted = allocated_bytes() - before
    del probe
    if counted != 1 << 20:
        _lib = None
        return f"{path} links another libtorch than torch {torch.__version__}: a 1 MiB tensor counted {counted} bytes"
    return None


def _stats():
    counting, allocated, peak = ctypes.c_uint8(), ctypes.c_int64(), ctypes.c_int64()
    if _lib.dd_cpu_memory_stats(ctypes.byref(counting), ctypes.byref(allocated), ctypes.byref(peak)) != 0:
        raise RuntimeError("dd_cpu_memory_stats failed")
    return counting.value, allocated.value, peak.value


def available():
    return _lib is not None and _stats()[0] == 1


def allocated_bytes():
    return _stats()[1]


def peak_bytes():
    return _stats()[2]


def reset_peak():
    if _lib.dd_cpu_reset_peak_memory() != 0:
        raise RuntimeError("dd_cpu_reset_peak_memory failed")
