using static DDist.Torch.TorchException;

namespace DDist.Torch;

/// <summary>Bytes held by live tensors on one device, now and at their peak since the last reset: on CUDA the caching
/// allocator's statistics (torch.cuda.memory_allocated, max_memory_allocated), on the CPU the shim's count (an
/// allocator in front of libtorch's, installed when the shim loads; libtorch keeps no CPU count, and resident memory
/// cannot show a peak because the C library keeps what is freed). Memory kept outside tensors (oneDNN and cuDNN
/// workspaces, BLAS buffers) is not counted on either.</summary>
public readonly record struct TensorMemoryStats(long AllocatedBytes, long PeakAllocatedBytes)
{
    public double PeakMiB => PeakAllocatedBytes / 1048576.0;
}

public static class TensorMemory
{
    /// <summary>The device's statistics, or null where they cannot be read: CUDA statistics on a shim built without
    /// them (<see cref="Tensors.CudaMemory"/>), or a CPU count that another library's allocator has displaced.</summary>
    public static TensorMemoryStats? Of(Device device)
    {
        if (device.Type == DeviceType.Cuda)
            return Tensors.CudaMemory(device.Index) is { } cuda ? new TensorMemoryStats(cuda.AllocatedBytes, cuda.PeakAllocatedBytes) : null;
        Check(Native.dd_cpu_memory_stats(out var counting, out var allocated, out var peak));
        return counting != 0 ? new TensorMemoryStats(allocated, peak) : null;
    }

    /// <summary>A cap on CPU tensor memory in bytes, null for none (the default): an allocation that would take the
    /// count past it fails with a <see cref="TorchException"/> whose <see cref="TorchException.IsOutOfMemory"/> is true,
    /// a failure a run can report and resume from, where the kernel's OOM killer ends the process without a word. Also
    /// a way to try on a CPU whether a run fits a GPU's memory (tensor for tensor; libraries' workspaces aside).</summary>
    public static long? CpuLimitBytes
    {
        get { Check(Native.dd_get_cpu_memory_limit(out var bytes)); return bytes > 0 ? bytes : null; }
        set
        {
            if (value is <= 0) throw new ArgumentOutOfRangeException(nameof(value), value, "a CPU memory limit must be positive (null for none)");
            Check(Native.dd_set_cpu_memory_limit(value ?? 0));
        }
    }

    /// <summary>Starts a new peak on the device: from here <see cref="TensorMemoryStats.PeakAllocatedBytes"/> is the
    /// most held at once after this call.</summary>
    public static void ResetPeak(Device device)
    {
        if (device.Type == DeviceType.Cuda) Tensors.CudaResetPeakMemory(device.Index);
        else Check(Native.dd_cpu_reset_peak_memory());
    }
}
