namespace DDist.Torch;

/// <summary>Bytes held by the CUDA caching allocator on one device: allocated to live tensors now, the peak of
/// that since the last reset, and reserved from the driver (allocated plus cached).</summary>
public readonly record struct CudaMemoryStats(long AllocatedBytes, long PeakAllocatedBytes, long ReservedBytes);
