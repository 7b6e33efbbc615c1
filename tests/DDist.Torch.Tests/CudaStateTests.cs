using System.Runtime.InteropServices;

namespace DDist.Torch.Tests;

/// <summary>The CUDA-related global state as the bindings expose it on any machine: the TF32 switches round-trip,
/// deterministic mode round-trips, and the caching allocator's statistics say when they cannot be read. Serial: these
/// switches are process-wide.</summary>
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
    public void DeterministicModeRoundTripsAndFixesTheCublasWorkspace()
    {
        Assert.False(Tensors.Deterministic);
        var preset = Environment.GetEnvironmentVariable("CUBLAS_WORKSPACE_CONFIG");   // a value set by the user is kept
        try
        {
            Tensors.Deterministic = true;
            Assert.True(Tensors.Deterministic);
            // Set in the native environment, where cuBLAS reads it (.NET's own copy of the environment does not see it).
            Assert.Equal(preset ?? ":4096:8", Marshal.PtrToStringUTF8(getenv("CUBLAS_WORKSPACE_CONFIG")));
        }
        finally { Tensors.Deterministic = false; }
        Assert.False(Tensors.Deterministic);
    }

    [DllImport("libc", CharSet = CharSet.Ansi)]
    private static extern IntPtr getenv(string name);

    [Fact]
    public void MemoryStatisticsAreAbsentWithoutCuda()
    {
        if (Tensors.IsCudaAvailable) return;   // covered by `ddist selftest --device cuda` on a GPU machine
        Assert.Null(Tensors.CudaMemory());
        Tensors.CudaResetPeakMemory();   // no-ops, not errors
        Tensors.CudaEmptyCache();
    }
}
