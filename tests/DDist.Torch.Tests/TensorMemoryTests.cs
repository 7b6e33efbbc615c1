using static DDist.Torch.Functional;

namespace DDist.Torch.Tests;

/// <summary>The CPU tensor-memory count (<see cref="TensorMemory"/>): exact bytes in and out, a peak that resets, and
/// the effect it exists to show: handles held to the end of a step keep the forward's intermediates alive through
/// backward. Serial: the count is process-wide.</summary>
[Collection(SerialCollection.Name)]
public class TensorMemoryTests
{
    private static TensorMemoryStats Cpu() => TensorMemory.Of(Device.Cpu) ?? throw new InvalidOperationException("the CPU count is not installed");

    [Fact]
    public void ATensorAddsItsBytesWhileAliveAndThePeakKeepsThem()
    {
        long before = Cpu().AllocatedBytes;
        TensorMemory.ResetPeak(Device.Cpu);
        using (var t = Tensors.Zeros([1000, 1000]))
        {
            Assert.Equal(before + 4_000_000, Cpu().AllocatedBytes);
            using var view = t.Narrow(0, 0, 10);   // a view allocates nothing
            Assert.Equal(before + 4_000_000, Cpu().AllocatedBytes);
        }
        Assert.Equal(before, Cpu().AllocatedBytes);
        using (var small = Tensors.Zeros([1000], DType.Float64))
            Assert.Equal(before + 8_000, Cpu().AllocatedBytes);
        Assert.Equal(before + 4_000_000, Cpu().PeakAllocatedBytes);

        TensorMemory.ResetPeak(Device.Cpu);
        Assert.Equal(Cpu().AllocatedBytes, Cpu().PeakAllocatedBytes);
    }

    [Fact]
    public void TheCountFollowsStoragesNotHandles()
    {
        long before = Cpu().AllocatedBytes;
        var a = Tensors.Ones([250_000]);
        var alias = a.Mul(1.0);                         // a new storage
        using (var shared = a.Reshape([500, 500])) { } // the same storage, released with its last handle
        Assert.Equal(before + 2_000_000, Cpu().AllocatedBytes);
        a.Dispose();
        Assert.Equal(before + 1_000_000, Cpu().AllocatedBytes);
        alias.Dispose();
        Assert.Equal(before, Cpu().AllocatedBytes);
    }

    [Fact]
    public void ALimitRefusesWhatWouldPassItAndCountsNothingRefused()
    {
        long held = Cpu().AllocatedBytes;
        try
        {
            TensorMemory.CpuLimitBytes = held + (10L << 20);
            using (var fits = Tensors.Zeros([1L << 20])) Assert.Equal(held + (4L << 20), Cpu().AllocatedBytes);   // 4 MiB
            var e = Assert.Throws<TorchException>(() => Tensors.Zeros([5L << 20]));                                 // 20 MiB
            Assert.True(e.IsOutOfMemory);
            Assert.Contains("CPU out of memory: tried to allocate 20.0 MiB", e.Message);
            Assert.Contains("over the limit of", e.Message);
            Assert.Equal(held, Cpu().AllocatedBytes);
            // An op whose output would pass it fails alike and leaves nothing behind.
            using var a = Tensors.Ones([1L << 20]);
            Assert.True(Assert.Throws<TorchException>(() => Tensors.Cat([a, a, a])).IsOutOfMemory);
            Assert.Equal(held + (4L << 20), Cpu().AllocatedBytes);
        }
        finally { TensorMemory.CpuLimitBytes = null; }
        Assert.Null(TensorMemory.CpuLimitBytes);
        Assert.Throws<ArgumentOutOfRangeException>(() => TensorMemory.CpuLimitBytes = 0);
    }

    /// <summary>Past what the machine can give, libtorch's own allocator refuses: also out of memory, and not counted.</summary>
    [Fact]
    public void AnAllocationTheSystemRefusesIsOutOfMemoryAndNotCounted()
    {
        long held = Cpu().AllocatedBytes;
        var e = Assert.Throws<TorchException>(() => Tensors.Empty([1L << 46]));   // 256 TiB of float32
        Assert.True(e.IsOutOfMemory, e.Message);
        Assert.Equal(held, Cpu().AllocatedBytes);
        Assert.False(new TorchException("shape mismatch").IsOutOfMemory);
    }

    /// <summary>Eight tanh layers over a (256, 512) batch: every layer's output is saved for backward. Releasing the
    /// forward's handles before backward lets backward free each saved output once it has used it (PyTorch's Python
    /// frees them the same way when names are rebound); holding them to the end keeps all of them through backward.</summary>
    [Fact]
    public void ReleasingTheForwardsHandlesBeforeBackwardLowersThePeak()
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(3);
        var weights = Enumerable.Range(0, 8).Select(_ => Tensors.Randn([512, 512]).Mul(0.04).RequiresGrad_()).ToArray();
        var x = Tensors.Randn([256, 512]);

        long Peak(bool releaseForward)
        {
            TensorMemory.ResetPeak(Device.Cpu);
            using var step = new TensorScope();
            var forward = releaseForward ? new TensorScope() : null;
            var h = x;
            foreach (var w in weights) h = Linear(h, w, null).Tanh();
            var loss = h.Square().Mean();
            if (forward is not null)
            {
                loss.MoveToOuterScope();
                forward.Dispose();
            }
            Autograd.Grad([loss], weights);
            return Cpu().PeakAllocatedBytes;
        }

        long held = Peak(releaseForward: false), released = Peak(releaseForward: true);
        // Each layer's two outputs (before and after tanh) are 256 × 512 × 4 = 512 KiB; held, all sixteen stay through
        // backward, where released the pre-tanh ones go during the forward and the rest as backward passes them.
        Assert.True(held - released >= 2L << 20, $"peak with the forward's handles held {held >> 10} KiB, released {released >> 10} KiB");
    }
}
