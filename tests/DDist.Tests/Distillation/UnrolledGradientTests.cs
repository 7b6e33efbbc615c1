using DDist.Tests.Unrolled;
using DDist.Augment;
using DDist.Distillation;
using DDist.Distillation.Unrolling;
using DDist.Models;
using DDist.Torch;
using Xunit.Abstractions;

namespace DDist.Tests.Distillation;

/// <summary>The unrolling engine: exact recomputation equals full unrolling on the production ConvNets with DSA
/// (float64), both equal central finite differences on a small softmax regression, and TESLA's approximation is
/// exact for one step only.</summary>
[Collection(SerialRngCollection.Name)]
public class UnrolledGradientTests(ITestOutputHelper output)
{
    /// <summary>An MTT problem on a production ConvNet (depth 3, width 8, 8×8 inputs), 12 images of 3 classes in
    /// batches of 5 over 4 steps (so batches differ and images repeat), non-Siamese DSA drawn from the generator.</summary>
    private static UnrollGradients Mtt(NormKind norm, DsaMode dsaMode, UnrollMode mode, int steps = 4)
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(21);
        var net = ConvNet.Create(new ConvNetOptions(3, 3, 8, 8) { Width = 8, Norm = norm });
        var theta0 = net.InitParameters().To(DType.Float64);
        var target = theta0 + Tensors.Randn(theta0.Shape, DType.Float64) * 0.05;
        var images = Tensors.Randn([12, 3, 8, 8], DType.Float64);
        var labels = Tensors.FromArray(Enumerable.Range(0, 12).Select(i => (long)(i % 3)).ToArray());
        var lr = Tensors.Scalar(0.05, DType.Float64);
        var dsa = DsaParams.Default with { Mode = dsaMode };
        Tensor Augment(Tensor x) => Dsa.Augment(x, DsaStrategies.Default, dsa);
        Tensors.ManualSeed(5);                                 // the same batches and draws for every mode
        var problem = TrajectoryMatchingLoss.Problem(net, images, labels, lr, theta0, target, steps, 5, Augment, out var schedule);
        using var _ = schedule;
        var g = UnrolledGradient.Compute(problem, mode);
        Assert.True(GradientDifference.MaxRelative(g.Images, g.Images) == 0 && g.Images.Abs().Sum().Item() > 0, "no image gradient");
        return g;
    }

    [Theory]
    [InlineData(NormKind.InstanceNorm, DsaMode.Single)]
    [InlineData(NormKind.InstanceNorm, DsaMode.Multiple)]
    [InlineData(NormKind.BatchNorm, DsaMode.Multiple)]
    public void ExactRecomputeEqualsFullUnrollOnConvNetWithDsa(NormKind norm, DsaMode dsaMode)
    {
        using var full = Mtt(norm, dsaMode, UnrollMode.Full);
        using var exact = Mtt(norm, dsaMode, UnrollMode.Exact);
        output.WriteLine($"{norm}/{dsaMode}: exact vs full images {GradientDifference.MaxRelative(exact.Images, full.Images):E2}, α {GradientDifference.MaxRelative(exact.StepSize, full.StepSize):E2}");
        Assert.Equal(full.Loss, exact.Loss, 12);
        Assert.True(GradientDifference.MaxRelative(exact.Images, full.Images) < 1e-10, $"images: relative difference {GradientDifference.MaxRelative(exact.Images, full.Images)}");
        Assert.True(GradientDifference.MaxRelative(exact.StepSize, full.StepSize) < 1e-10, $"α: relative difference {GradientDifference.MaxRelative(exact.StepSize, full.StepSize)}");
        Assert.True(exact.Exact && full.Exact);

        // TESLA drops the later steps' Hessian terms: measurably different here, and labelled approximate.
        using var tesla = Mtt(norm, dsaMode, UnrollMode.Tesla);
        Assert.False(tesla.Exact);
        output.WriteLine($"{norm}/{dsaMode}: TESLA vs exact images {GradientDifference.MaxRelative(tesla.Images, full.Images):E2}, α {GradientDifference.MaxRelative(tesla.StepSize, full.StepSize):E2}");
        Assert.True(GradientDifference.MaxRelative(tesla.Images, full.Images) > 1e-6, $"TESLA equals the exact gradient ({GradientDifference.MaxRelative(tesla.Images, full.Images)})");
    }

    [Fact]
    public void TeslaIsExactForOneStep()
    {
        using var exact = Mtt(NormKind.InstanceNorm, DsaMode.Single, UnrollMode.Exact, steps: 1);
        using var tesla = Mtt(NormKind.InstanceNorm, DsaMode.Single, UnrollMode.Tesla, steps: 1);
        Assert.True(GradientDifference.MaxRelative(tesla.Images, exact.Images) < 1e-12);
        Assert.True(GradientDifference.MaxRelative(tesla.StepSize, exact.StepSize) < 1e-12);
    }

    [Fact]
    public void ExactRecomputeLeavesTheGeneratorWhereFullUnrollingDoes()
    {
        Mtt(NormKind.InstanceNorm, DsaMode.Single, UnrollMode.Full).Dispose();
        using var afterFull = Tensors.Rand([4], DType.Float64);
        Mtt(NormKind.InstanceNorm, DsaMode.Single, UnrollMode.Exact).Dispose();
        using var afterExact = Tensors.Rand([4], DType.Float64);
        Assert.Equal(afterFull.ToArray<double>(), afterExact.ToArray<double>());
    }

    // ---- softmax regression: K = 3 classes, d = 4 features, 6 points, N = 5 steps with different batches ----

    private static readonly long[][] Batches = [[0, 1, 2], [3, 4, 5], [1, 3, 5], [0, 2, 4], [5, 0, 3]];

    /// <summary>L after <paramref name="steps"/> SGD steps of softmax regression θ = (W 4×3, b 3) with per-step
    /// α_i and learnable soft labels (logits, softmax targets), and its gradients.</summary>
    private static UnrollGradients SoftmaxRegression(double[] x, double[] alphas, double[] softLabels, int steps, UnrollMode mode)
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(8);
        var theta0 = Tensors.Randn([15], DType.Float64) * 0.3;
        var target = Tensors.Randn([15], DType.Float64) * 0.3;
        var problem = new UnrollProblem
        {
            Forward = (xb, th) => xb.MatMul(th.Narrow(0, 0, 12).Reshape([4, 3])) + th.Narrow(0, 12, 3),
            Images = Tensors.FromArray(x, [6, 4]),
            Extra = Tensors.FromArray(softLabels, [6, 3]),
            StepLoss = (logits, idx, y) => -(y!.IndexSelect(0, idx).Softmax(1) * logits.LogSoftmax(1)).Sum(1).Mean(),
            StepSize = Tensors.FromArray(alphas[..steps], [steps]),
            Theta0 = theta0,
            Steps = steps,
            NextBatch = i => Tensors.FromArray(Batches[i]).DetachFromScope(),
            TerminalLoss = th => (th - target).Square().Sum() / (theta0 - target).Square().Sum(),
        };
        return UnrolledGradient.Compute(problem, mode);
    }

    [Fact]
    public void SoftmaxRegressionGradientsMatchFiniteDifferences()
    {
        Tensors.ManualSeed(3);
        var x = Tensors.Randn([24], DType.Float64).ToArray<double>();
        var y = Tensors.Randn([18], DType.Float64).ToArray<double>();
        double[] alphas = [0.7, 0.5, 0.9, 0.6, 0.8];
        using var exact = SoftmaxRegression(x, alphas, y, 5, UnrollMode.Exact);
        using var full = SoftmaxRegression(x, alphas, y, 5, UnrollMode.Full);
        using var tesla = SoftmaxRegression(x, alphas, y, 5, UnrollMode.Tesla);

        double Fd(Func<double, double> f) { const double h = 1e-6; return (f(h) - f(-h)) / (2 * h); }
        double LossAt(double[] xs, double[] a, double[] ys)
        {
            using var g = SoftmaxRegression(xs, a, ys, 5, UnrollMode.Full);
            return g.Loss;
        }
        double[] Bump(double[] v, int j, double h) { var c = (double[])v.Clone(); c[j] += h; return c; }
        var fdX = Enumerable.Range(0, x.Length).Select(j => Fd(h => LossAt(Bump(x, j, h), alphas, y))).ToArray();
        var fdA = Enumerable.Range(0, 5).Select(j => Fd(h => LossAt(x, Bump(alphas, j, h), y))).ToArray();
        var fdY = Enumerable.Range(0, y.Length).Select(j => Fd(h => LossAt(x, alphas, Bump(y, j, h)))).ToArray();

        double Rel(Tensor g, double[] fd) => g.ToArray<double>().Zip(fd).Max(p => Math.Abs(p.First - p.Second)) / fd.Max(Math.Abs);
        foreach (var (name, g) in new[] { ("exact", exact), ("full", full) })
        {
            Assert.True(Rel(g.Images, fdX) < 1e-6, $"{name} images: {Rel(g.Images, fdX)}");
            Assert.True(Rel(g.StepSize, fdA) < 1e-6, $"{name} α: {Rel(g.StepSize, fdA)}");
            Assert.True(Rel(g.Extra!, fdY) < 1e-6, $"{name} labels: {Rel(g.Extra!, fdY)}");
        }
        output.WriteLine($"vs finite differences: exact images {Rel(exact.Images, fdX):E2} α {Rel(exact.StepSize, fdA):E2} labels {Rel(exact.Extra!, fdY):E2}; " +
                         $"TESLA images {Rel(tesla.Images, fdX):E2} α {Rel(tesla.StepSize, fdA):E2} labels {Rel(tesla.Extra!, fdY):E2}");
        Assert.True(GradientDifference.MaxRelative(exact.Images, full.Images) < 1e-12 && GradientDifference.MaxRelative(exact.Extra!, full.Extra!) < 1e-12);
        // TESLA is off by far more than round-off for 5 steps at these step sizes.
        Assert.True(Rel(tesla.Images, fdX) > 1e-2, $"TESLA images within {Rel(tesla.Images, fdX)} of finite differences");
        Assert.True(Rel(tesla.StepSize, fdA) > 1e-2, $"TESLA α within {Rel(tesla.StepSize, fdA)} of finite differences");

        using var exact1 = SoftmaxRegression(x, alphas, y, 1, UnrollMode.Exact);
        using var tesla1 = SoftmaxRegression(x, alphas, y, 1, UnrollMode.Tesla);
        Assert.True(GradientDifference.MaxRelative(tesla1.Images, exact1.Images) < 1e-12 && GradientDifference.MaxRelative(tesla1.StepSize, exact1.StepSize) < 1e-12
                    && GradientDifference.MaxRelative(tesla1.Extra!, exact1.Extra!) < 1e-12);
    }

    [Fact]
    public void RejectsAStepSizeOfTheWrongShape()
    {
        using var scope = new TensorScope();
        var problem = new UnrollProblem
        {
            Forward = (x, th) => x * th, Images = Tensors.Zeros([2, 1]), StepLoss = (l, _, _) => l.Sum(),
            StepSize = Tensors.Zeros([3]), Theta0 = Tensors.Zeros([1]), Steps = 2, NextBatch = _ => Tensors.FromArray(new long[] { 0 }),
            TerminalLoss = th => th.Sum(),
        };
        var e = Assert.Throws<ArgumentException>(() => UnrolledGradient.Compute(problem, UnrollMode.Exact));
        Assert.Contains("StepSize", e.Message);
    }
}
