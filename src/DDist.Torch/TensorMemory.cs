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

    /// <summary>Starts a new peak on the device: from here <see cref="TensorMemoryStats.PeakAllocatedBytes"/> is the
    /// most held at once after this call.</summary>
    public static void ResetPeak(Device device)
    {
        if (device.Type == DeviceType.Cuda) Tensors.CudaResetPeakMemory(device.Index);
        else Check(Native.dd_cpu_reset_peak_memory());
    }
}
