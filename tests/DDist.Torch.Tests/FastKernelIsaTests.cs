using static DDist.Torch.Functional;

namespace DDist.Torch.Tests;

/// <summary>The fused kernels are compiled for AVX-512, AVX2 and baseline x86-64 and one is picked at run time
/// (<see cref="Tensors.FastKernelIsa"/>): every variant this CPU can run gives libtorch's values and first and second
/// derivatives, so the variant an AVX2-only machine runs is tested here too, not only the widest.</summary>
[Collection(SerialCollection.Name)]
public class FastKernelIsaTests
{
    /// <summary>The widest set this CPU has, from the kernel's flags (what the shim reads through cpuid).</summary>
    private static KernelIsa CpuIsa()
    {
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64) return KernelIsa.Baseline;
        var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(' ') ?? [];
        return flags.Contains("avx512f") ? KernelIsa.Avx512 : flags.Contains("avx2") ? KernelIsa.Avx2 : KernelIsa.Baseline;
    }

    // Group norm with its fused ReLU, then 2×2 pooling: every kernel (forward, backward, double backward, pooling both
    // ways) runs, on blocks large enough for the vectorised loops and their remainders (15×15 planes).
    private static Tensor Fast(Tensor[] t) => AvgPool2d(GroupNormRelu(t[0], 4, t[1], t[2]), 2).Square();
    private static Tensor Reference(Tensor[] t) => Libtorch.AvgPool2d(Libtorch.GroupNorm(t[0], 4, t[1], t[2]).Relu(), 2).Square();

    [Theory]
    [InlineData(KernelIsa.Baseline)]
    [InlineData(KernelIsa.Avx2)]
    [InlineData(KernelIsa.Avx512)]
    public void EveryInstructionSetGivesLibtorchsValuesAndDerivatives(KernelIsa wanted)
    {
        var before = Tensors.FastKernelIsa;
        Assert.Equal(CpuIsa(), before);   // no cap is set in the test environment
        try
        {
            Tensors.FastKernelIsa = wanted;
            // A set the CPU lacks falls back to the widest below it.
            Assert.Equal((KernelIsa)Math.Min((int)wanted, (int)CpuIsa()), Tensors.FastKernelIsa);
            using var scope = new TensorScope();
            var x = TestData.Normal(380, 3, 8, 15, 15);
            var (w, b) = (TestData.Uniform(381, 0.5, 1.5, 8), TestData.Normal(382, 8));
            foreach (var (dtype, tol) in new[] { (DType.Float64, 1e-10), (DType.Float32, 2e-4) })
            {
                Tensor[] inputs = [x.To(dtype), w.To(dtype), b.To(dtype)];
                var (fast, reference) = (FastOpsTests.Derivatives(Fast, inputs, 90), FastOpsTests.Derivatives(Reference, inputs, 90));
                Assert.Equal(reference.Length, fast.Length);
                for (int k = 0; k < fast.Length; k++)
                {
                    Assert.True(reference[k].Any(v => v != 0), $"block {k} is all zero: the comparison would be vacuous");
                    Assert.Equal(reference[k], fast[k], new Tolerance(tol));
                }
            }
        }
        finally
        {
            Tensors.FastKernelIsa = before;
        }
    }

    [Fact]
    public void AnUnknownInstructionSetIsAClearError()
    {
        var e = Assert.Throws<TorchException>(() => Tensors.FastKernelIsa = (KernelIsa)7);
        Assert.Contains("expected 0 (baseline), 1 (AVX2) or 2 (AVX-512)", e.Message);
        Assert.Equal(CpuIsa(), Tensors.FastKernelIsa);
    }
}
