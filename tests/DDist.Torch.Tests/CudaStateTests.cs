namespace DDist.Torch.Tests;

/// <summary>The CUDA-related global state as the bindings expose it on any machine: the TF32 switches round-trip,
/// and the caching allocator's statistics say when they cannot be read. Serial: TF32 is process-wide.</summary>
[Collection(SerialCollection.Name)]
public class CudaStateTests
{
    [Fact]
    public void Tf32SwitchesRoundTrip()
    {
        var before = Tensors.AllowTF32;
        try
        {
            Tensors.AllowTF32 = (false, true);
            Assert.Equal((false, true), Tensors.AllowTF32);
            Tensors.AllowTF32 = (true, false);
            Assert.Equal((true, false), Tensors.AllowTF32);
        }
        finally { Tensors.AllowTF32 = before; }
    }

    [Fact]
    public void MemoryStatisticsAreAbsentWithoutCuda()
    {
        if (Tensors.IsCudaAvailable) return;   // covered by `ddist selftest --device cuda` on a GPU machine
        Assert.Null(Tensors.CudaMemory());
        Tensors.CudaResetPeakMemory();   // no-ops, not errors
        Tensors.CudaEmptyCache();
    }
}
