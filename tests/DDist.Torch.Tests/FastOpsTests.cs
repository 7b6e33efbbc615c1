using static DDist.Torch.Functional;

namespace DDist.Torch.Tests;

/// <summary>The fast conv2d, group norm and 2×2 average pooling (hand-written first and second derivatives, used by
/// Functional.Conv2d / GroupNorm / AvgPool2d) against finite differences in float64 to second order, and against
/// libtorch's composite ops (Functional.Libtorch): values, first derivatives and second derivatives.</summary>
public class FastOpsTests
{
    /// <summary>Values, ∂(Σ f·W)/∂inputs, and ∂(Σᵢ ∂(Σ f·W)/∂inputᵢ · vᵢ)/∂inputs of f at the inputs, flattened.</summary>
    internal static double[][] Derivatives(Func<Tensor[], Tensor> f, Tensor[] inputs, int seed)
    {
        var leaves = inputs.Select(t => t.Detach().Clone().RequiresGrad_()).ToArray();
        var y = f(leaves);
        var weight = TestData.Normal(seed, y.Shape).To(y.DType);
        var s = (y * weight).Sum();
        var first = Autograd.Grad([s], leaves, createGraph: true);
        var inner = first.Select((g, i) => (g! * TestData.Normal(seed + 1 + i, g!.Shape).To(g.DType)).Sum()).Aggregate((a, b) => a + b);
        var second = Autograd.Grad([inner], leaves, allowUnused: true);
        return [y.To(DType.Float64).ToArray<double>(),
                .. first.Select(g => g!.To(DType.Float64).ToArray<double>()),
                .. second.Select((g, i) => g is null ? new double[leaves[i].NumEl] : g.To(DType.Float64).ToArray<double>())];
    }

    private static void SameAsComposite(Func<Tensor[], Tensor> fast, Func<Tensor[], Tensor> composite, Tensor[] inputs, double tol)
    {
        var a = Derivatives(fast, inputs, 77);
        var b = Derivatives(composite, inputs, 77);
        Assert.Equal(b.Length, a.Length);
        for (int k = 0; k < a.Length; k++)
        {
            Assert.True(b[k].Any(v => v != 0), $"block {k} of the composite derivatives is all zero: the comparison would be vacuous");
            Assert.Equal(b[k], a[k], new Tolerance(tol));
        }
    }

    [Theory]
    [InlineData(3, 3)]  // instance norm: one channel per group
    [InlineData(4, 2)]  // two channels per group
    public void GroupNormSecondOrderMatchesFiniteDifferences(int channels, int groups)
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(300, 2, channels, 3, 3);
        var (w, b) = (TestData.Uniform(301, 0.5, 1.5, channels), TestData.Normal(302, channels));
        GradCheck.FirstOrder(t => GroupNorm(t[0], groups, t[1], t[2]), x, w, b);
        GradCheck.SecondOrder(t => GroupNorm(t[0], groups, t[1], t[2]), [x, w, b]);
        // Only the mixed terms trajectory matching needs, with a nonlinearity after the norm as in ConvNet.
        GradCheck.SecondOrder(t => GroupNorm(t[0], groups, t[1], t[2]).Tanh(), [x, w, b], innerWrt: [1, 2]);
    }

    [Theory]
    [InlineData(4, 4)]
    [InlineData(6, 3)]
    public void GroupNormEqualsComposite(int channels, int groups)
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(310, 3, channels, 5, 4);
        var (w, b) = (TestData.Uniform(311, 0.5, 1.5, channels), TestData.Normal(312, channels));
        SameAsComposite(t => GroupNorm(t[0], groups, t[1], t[2]).Tanh(), t => Libtorch.GroupNorm(t[0], groups, t[1], t[2]).Tanh(), [x, w, b], 1e-10);
        // A non-contiguous input (channels-last memory) takes the same kernels after a differentiable copy.
        SameAsComposite(t => GroupNorm(t[0].Permute(0, 3, 1, 2), groups, t[1], t[2]).Tanh(),
                        t => Libtorch.GroupNorm(t[0].Permute(0, 3, 1, 2), groups, t[1], t[2]).Tanh(),
                        [x.Permute(0, 2, 3, 1).Contiguous(), w, b], 1e-10);
        // float32 kernels (sums in double) agree with libtorch's float32 to float precision.
        SameAsComposite(t => GroupNorm(t[0], groups, t[1], t[2]).Tanh(), t => Libtorch.GroupNorm(t[0], groups, t[1], t[2]).Tanh(),
                        [x.To(DType.Float32), w.To(DType.Float32), b.To(DType.Float32)], 2e-4);
    }

    [Fact]
    public void GroupNormThirdOrderIsAClearError()
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(320, 2, 2, 3, 3).RequiresGrad_();
        var (w, b) = (Tensors.Ones([2], DType.Float64).RequiresGrad_(), Tensors.Zeros([2], DType.Float64).RequiresGrad_());
        var g = Autograd.Grad(GroupNorm(x, 2, w, b).Tanh().Sum(), x, createGraph: true);
        Assert.NotNull(Autograd.Grad([g.Square().Sum()], [x], retainGraph: true)[0]);  // second order is fine
        var ex = Assert.Throws<TorchException>(() => Autograd.Grad(g.Square().Sum(), x, createGraph: true));
        Assert.Contains("third order", ex.Message);
    }

    [Theory]
    [InlineData(1, 1, 1, true)]
    [InlineData(1, 3, 1, true)]   // padding 3 > kernel − 1, as the first ConvNet layer on 28×28 digits
    [InlineData(2, 0, 2, false)]
    public void Conv2dEqualsComposite(int stride, int padding, int groups, bool bias)
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(330, 2, 4, 6, 6);
        var w = TestData.Normal(331, 6, 4 / groups, 3, 3);
        var b = TestData.Normal(332, 6);
        // Squared so the second derivative with respect to each input is not identically zero.
        SameAsComposite(t => Functional.Conv2d(t[0], t[1], bias ? t[2] : null, stride, padding, groups: groups).Square(),
                        t => Libtorch.Conv2d(t[0], t[1], bias ? t[2] : null, stride, padding, groups: groups).Square(),
                        bias ? [x, w, b] : [x, w], 1e-10);
        GradCheck.SecondOrder(t => Functional.Conv2d(t[0], t[1], bias ? t[2] : null, stride, padding, groups: groups).Square(), bias ? [x, w, b] : [x, w]);
        if (bias)  // the parameter gradient alone (no ∂/∂x in the first backward), as for the first layer in MTT
            GradCheck.SecondOrder(t => Functional.Conv2d(t[0], t[1], t[2], stride, padding, groups: groups).Square(), [x, w, b], innerWrt: [1, 2]);
    }

    [Theory]
    [InlineData(4, 6)]
    [InlineData(5, 7)]  // odd sizes: the last row and column are dropped (floor)
    public void AvgPool2x2EqualsCompositeAndFiniteDifferences(int h, int w)
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(340, 2, 3, h, w);
        SameAsComposite(t => AvgPool2d(t[0], 2).Square(), t => Libtorch.AvgPool2d(t[0], 2).Square(), [x], 1e-12);
        SameAsComposite(t => AvgPool2d(t[0], 2).Square(), t => Libtorch.AvgPool2d(t[0], 2).Square(), [x.To(DType.Float32)], 1e-6);
        GradCheck.FirstOrder(t => AvgPool2d(t[0], 2), x);
        GradCheck.SecondOrder(t => AvgPool2d(AvgPool2d(t[0], 1).Square(), 2).Square(), [x]);
    }

    [Fact]
    public void BatchNormWithoutRunningStatsEqualsCompositeAndFiniteDifferences()
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(350, 4, 3, 3, 2);
        var (w, b) = (TestData.Uniform(351, 0.5, 1.5, 3), TestData.Normal(352, 3));
        // The composite: libtorch's batch norm with running buffers (which only adds their update).
        Tensor Composite(Tensor[] t) => BatchNorm(t[0], t[1], t[2], Tensors.Zeros([3], t[0].DType), Tensors.Ones([3], t[0].DType), training: true).Tanh();
        SameAsComposite(t => BatchNorm(t[0], t[1], t[2], null, null, training: true).Tanh(), Composite, [x, w, b], 1e-10);
        SameAsComposite(t => BatchNorm(t[0], t[1], t[2], null, null, training: true).Tanh(), Composite,
                        [x.To(DType.Float32), w.To(DType.Float32), b.To(DType.Float32)], 2e-4);
        GradCheck.SecondOrder(t => BatchNorm(t[0], t[1], t[2], null, null, training: true).Tanh(), [x, w, b]);
    }

    [Theory]
    [InlineData(3, 3)]
    [InlineData(4, 2)]
    public void GroupNormReluEqualsCompositeAndFiniteDifferences(int channels, int groups)
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(360, 3, channels, 4, 3);
        var (w, b) = (TestData.Uniform(361, 0.5, 1.5, channels), TestData.Normal(362, channels));
        // Squared after the ReLU so the second derivative is not identically zero; the draw keeps every normalised
        // value away from the kink (checked: the first-order gradcheck passes).
        SameAsComposite(t => GroupNormRelu(t[0], groups, t[1], t[2]).Square(), t => Libtorch.GroupNorm(t[0], groups, t[1], t[2]).Relu().Square(),
                        [x, w, b], 1e-10);
        SameAsComposite(t => GroupNormRelu(t[0], groups, t[1], t[2]).Square(), t => Libtorch.GroupNorm(t[0], groups, t[1], t[2]).Relu().Square(),
                        [x.To(DType.Float32), w.To(DType.Float32), b.To(DType.Float32)], 2e-4);
        GradCheck.FirstOrder(t => GroupNormRelu(t[0], groups, t[1], t[2]), x, w, b);
        GradCheck.SecondOrder(t => GroupNormRelu(t[0], groups, t[1], t[2]).Square(), [x, w, b]);
    }
    /// <summary>The fused kernels split their planes over libtorch's threads (at::parallel_for, which is parallel only
    /// when the shim is built with OpenMP): big enough inputs that the split happens give bit-identical values and
    /// first and second derivatives on one thread and on four, equal to libtorch's composite ops.</summary>
    [Fact]
    public void FusedKernelsGiveTheSameResultOnOneThreadAndOnSeveral()
    {
        using var scope = new TensorScope();
        // 4·64 planes of 16×16: above the kernels' grain of 128 planes, so several threads share the work.
        var x = TestData.Normal(370, 4, 64, 16, 16);
        var (w, b) = (TestData.Uniform(371, 0.5, 1.5, 64), TestData.Normal(372, 64));
        Tensor Fast(Tensor[] t) => AvgPool2d(GroupNormRelu(t[0], 64, t[1], t[2]), 2).Square();
        Tensor Composite(Tensor[] t) => Libtorch.AvgPool2d(Libtorch.GroupNorm(t[0], 64, t[1], t[2]).Relu(), 2).Square();
        int before = Tensors.NumThreads;
        try
        {
            Tensors.SetNumThreads(1);
            var one = Derivatives(Fast, [x, w, b], 80);
            Tensors.SetNumThreads(4);
            var four = Derivatives(Fast, [x, w, b], 80);
            var composite = Derivatives(Composite, [x, w, b], 80);
            Assert.Equal(one.Length, four.Length);
            for (int k = 0; k < one.Length; k++)
            {
                Assert.True(one[k].Any(v => v != 0), $"block {k} is all zero: the comparison would be vacuous");
                Assert.Equal(one[k], four[k]);
                Assert.Equal(composite[k], four[k], new Tolerance(1e-10));
            }
        }
        finally
        {
            Tensors.SetNumThreads(before);
        }
    }

    /// <summary>The test above passes on a shim built without OpenMP too (everything then runs on one thread), so the
    /// build itself is checked: the loaded shim calls libgomp's parallel entry point.</summary>
    [Fact]
    public void TheLoadedShimIsBuiltWithOpenMP()
    {
        using (var scope = new TensorScope()) _ = TestData.Normal(1, 2).Sum().Item();   // the shim is loaded by now
        var shim = File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                       .Where(f => f.Length >= 6 && f[5].EndsWith("libddist_shim.so", StringComparison.Ordinal)).Select(f => f[5]).FirstOrDefault();
        Assert.True(shim is not null, "libddist_shim.so is not mapped into the test process");
        var bytes = System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(shim!));
        Assert.True(bytes.Contains("GOMP_parallel", StringComparison.Ordinal),
                    $"{shim} does not call GOMP_parallel: built without OpenMP, the fused kernels run on one thread");
    }
}
