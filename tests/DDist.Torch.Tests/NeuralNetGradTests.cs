using static DDist.Torch.Functional;

namespace DDist.Torch.Tests;

/// <summary>First-order gradchecks of the neural-network ops, plus forward checks where a binding could
/// silently pass the wrong argument (buffer updates, losses, warps).</summary>
public class NeuralNetGradTests
{
    [Fact]
    public void MatMulVariants()
    {
        using var scope = new TensorScope();
        GradCheck.FirstOrder(x => x[0].MatMul(x[1]), TestData.Normal(101, 3, 4), TestData.Normal(102, 4, 2));
        GradCheck.FirstOrder(x => x[0].MatMul(x[1]), TestData.Normal(103, 2, 3, 4), TestData.Normal(104, 4, 2));
        GradCheck.FirstOrder(x => x[0].MatMul(x[1]), TestData.Normal(105, 4), TestData.Normal(106, 4, 3));
    }

    [Fact]
    public void AddMMScalesBiasAndProduct()
    {
        using var scope = new TensorScope();
        var (bias, a, b) = (TestData.Normal(107, 3, 2), TestData.Normal(108, 3, 4), TestData.Normal(109, 4, 2));
        var expected = bias.Mul(0.5).Add(a.MatMul(b).Mul(2)).ToArray<double>();
        Assert.Equal(expected, AddMM(bias, a, b, beta: 0.5, alpha: 2).ToArray<double>(), new Tolerance(1e-12));
        GradCheck.FirstOrder(x => AddMM(x[0], x[1], x[2], 0.5, 2), bias, a, b);
    }

    [Fact]
    public void LinearWithAndWithoutBias()
    {
        using var scope = new TensorScope();
        var (x, w, b) = (TestData.Normal(110, 5, 4), TestData.Normal(111, 3, 4), TestData.Normal(112, 3));
        Assert.Equal(x.MatMul(w.T()).Add(b).ToArray<double>(), Linear(x, w, b).ToArray<double>(), new Tolerance(1e-12));
        GradCheck.FirstOrder(t => Linear(t[0], t[1], t[2]), x, w, b);
        GradCheck.FirstOrder(t => Linear(t[0], t[1]), x, w);
        GradCheck.FirstOrder(t => Linear(t[0], t[1], t[2]), TestData.Normal(113, 2, 3, 4), w, b);
    }

    [Theory]
    [InlineData(1, 0, 1, 1)]
    [InlineData(2, 1, 1, 1)]
    [InlineData(1, 2, 2, 1)]
    [InlineData(1, 1, 1, 2)]
    [InlineData(2, 0, 1, 4)]
    public void Conv2d(int stride, int padding, int dilation, int groups)
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(120, 2, 4, 5, 5);
        var w = TestData.Normal(121, 4, 4 / groups, 3, 3);
        var b = TestData.Normal(122, 4);
        var expected = NaiveReference.Conv2d(x.ToArray<double>(), x.Shape, w.ToArray<double>(), w.Shape, b.ToArray<double>(),
                                             stride, padding, dilation, groups, out var shape);
        var y = Functional.Conv2d(x, w, b, stride, padding, dilation, groups);
        Assert.Equal(shape, y.Shape);
        Assert.Equal(expected, y.ToArray<double>(), new Tolerance(1e-12));
        GradCheck.FirstOrder(t => Functional.Conv2d(t[0], t[1], t[2], stride, padding, dilation, groups), x, w, b);
    }

    [Fact]
    public void Conv2dAsymmetricAndBiasFree()
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(123, 1, 2, 5, 6);
        var w = TestData.Normal(124, 3, 2, 2, 3);
        GradCheck.FirstOrder(t => Functional.Conv2d(t[0], t[1], null, (2, 1), (0, 1), (1, 2)), x, w);
        // A 1x1 convolution is a per-pixel linear map: check the forward against Linear.
        var w1 = TestData.Normal(125, 3, 2, 1, 1);
        var conv = Functional.Conv2d(x, w1).Permute(0, 2, 3, 1).Contiguous().ToArray<double>();
        var lin = Linear(x.Permute(0, 2, 3, 1), w1.Reshape(3, 2)).Contiguous().ToArray<double>();
        Assert.Equal(lin, conv, new Tolerance(1e-12));
    }

    [Theory]
    [InlineData(2, null, 0)]
    [InlineData(3, 2, 1)]
    [InlineData(2, 1, 0)]
    public void Pooling(int kernel, int? stride, int padding)
    {
        using var scope = new TensorScope();
        var x = TestData.Distinct(130, [2, 2, 5, 5]);
        foreach (bool max in new[] { true, false })
        {
            var expected = NaiveReference.Pool2d(x.ToArray<double>(), x.Shape, kernel, stride ?? kernel, padding, max, out var shape);
            var y = max ? MaxPool2d(x, kernel, stride, padding) : AvgPool2d(x, kernel, stride, padding);
            Assert.Equal(shape, y.Shape);
            Assert.Equal(expected, y.ToArray<double>(), new Tolerance(1e-12));
        }
        GradCheck.FirstOrder(t => MaxPool2d(t[0], kernel, stride, padding), x);
        GradCheck.FirstOrder(t => AvgPool2d(t[0], kernel, stride, padding), x);
    }

    [Theory]
    [InlineData(3, 3)]
    [InlineData(2, 4)]
    [InlineData(1, 1)]
    public void AdaptiveAvgPool(int outH, int outW)
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(131, 2, 2, 5, 4);
        GradCheck.FirstOrder(t => AdaptiveAvgPool2d(t[0], outH, outW), x);
        if (outH == 1) Assert.Equal(x.Mean([2, 3]).ToArray<double>(), AdaptiveAvgPool2d(x, 1, 1).Reshape(2, 2).ToArray<double>(), new Tolerance(1e-12));
    }

    [Fact]
    public void PoolingValues()
    {
        using var scope = new TensorScope();
        var x = Tensors.Arange(16, DType.Float64).Reshape(1, 1, 4, 4);
        Assert.Equal(new double[] { 5, 7, 13, 15 }, MaxPool2d(x, 2).ToArray<double>());
        Assert.Equal(new double[] { 2.5, 4.5, 10.5, 12.5 }, AvgPool2d(x, 2).ToArray<double>());
    }

    [Fact]
    public void BatchNormTrainingUsesBatchStatisticsAndUpdatesRunningBuffers()
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(140, 4, 3, 2, 2);
        var (w, b) = (TestData.Uniform(141, 0.5, 1.5, 3), TestData.Normal(142, 3));
        var runningMean = Tensors.Zeros([3], DType.Float64);
        var runningVar = Tensors.Ones([3], DType.Float64);
        var y = BatchNorm(x, w, b, runningMean, runningVar, training: true, momentum: 0.1, eps: 1e-5);

        var mean = x.Mean([0, 2, 3]);
        var biasedVar = x.Var([0, 2, 3], correction: 0);
        var unbiasedVar = x.Var([0, 2, 3], correction: 1);
        var expected = x.Sub(mean.Reshape(1, 3, 1, 1)).Div(biasedVar.Add(1e-5).Sqrt().Reshape(1, 3, 1, 1))
                        .Mul(w.Reshape(1, 3, 1, 1)).Add(b.Reshape(1, 3, 1, 1));
        Assert.Equal(expected.ToArray<double>(), y.ToArray<double>(), new Tolerance(1e-10));
        Assert.Equal(mean.Mul(0.1).ToArray<double>(), runningMean.ToArray<double>(), new Tolerance(1e-12));
        Assert.Equal(unbiasedVar.Mul(0.1).Add(0.9).ToArray<double>(), runningVar.ToArray<double>(), new Tolerance(1e-12));

        GradCheck.FirstOrder(t => BatchNorm(t[0], t[1], t[2], runningMean, runningVar, training: true), x, w, b);
        GradCheck.FirstOrder(t => BatchNorm(t[0], null, null, null, null, training: true), x);
    }

    [Fact]
    public void BatchNormEvalUsesRunningStatistics()
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(143, 4, 3, 2, 2);
        var (w, b) = (TestData.Uniform(144, 0.5, 1.5, 3), TestData.Normal(145, 3));
        var runningMean = TestData.Normal(146, 3);
        var runningVar = TestData.Uniform(147, 0.5, 2, 3);
        var y = BatchNorm(x, w, b, runningMean, runningVar, training: false);
        var expected = x.Sub(runningMean.Reshape(1, 3, 1, 1)).Div(runningVar.Add(1e-5).Sqrt().Reshape(1, 3, 1, 1))
                        .Mul(w.Reshape(1, 3, 1, 1)).Add(b.Reshape(1, 3, 1, 1));
        Assert.Equal(expected.ToArray<double>(), y.ToArray<double>(), new Tolerance(1e-10));
        var before = runningMean.ToArray<double>();
        GradCheck.FirstOrder(t => BatchNorm(t[0], t[1], t[2], runningMean, runningVar, training: false), x, w, b);
        Assert.Equal(before, runningMean.ToArray<double>());
        Assert.Throws<ArgumentException>(() => BatchNorm(x, w, b, null, null, training: false));
    }

    [Fact]
    public void InstanceGroupAndLayerNorm()
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(150, 2, 4, 3, 3);
        var (w, b) = (TestData.Uniform(151, 0.5, 1.5, 4), TestData.Normal(152, 4));
        GradCheck.FirstOrder(t => InstanceNorm(t[0], t[1], t[2]), x, w, b);
        GradCheck.FirstOrder(t => InstanceNorm(t[0]), x);
        GradCheck.FirstOrder(t => GroupNorm(t[0], 2, t[1], t[2]), x, w, b);
        GradCheck.FirstOrder(t => GroupNorm(t[0], 4), x);
        var (lw, lb) = (TestData.Uniform(153, 0.5, 1.5, 4, 3, 3), TestData.Normal(154, 4, 3, 3));
        GradCheck.FirstOrder(t => LayerNorm(t[0], [4, 3, 3], t[1], t[2]), x, lw, lb);
        GradCheck.FirstOrder(t => LayerNorm(t[0], [3]), x);

        // Instance norm = group norm with one channel per group; both zero the per-(sample, channel) mean.
        Assert.Equal(GroupNorm(x, 4).ToArray<double>(), InstanceNorm(x).ToArray<double>(), new Tolerance(1e-10));
        Assert.All(InstanceNorm(x).Mean([2, 3]).ToArray<double>(), m => Assert.Equal(0, m, 10));
        Assert.All(LayerNorm(x, [4, 3, 3]).Var([1, 2, 3], correction: 0).ToArray<double>(), v => Assert.Equal(1, v, 4));
    }

    [Fact]
    public void CrossEntropyHardLabels()
    {
        using var scope = new TensorScope();
        var logits = TestData.Normal(160, 5, 4);
        var labels = TestData.Labels(161, 5, 4);
        var logp = logits.LogSoftmax(1).ToArray<double>();
        var l = labels.ToArray<long>();
        var perSample = l.Select((c, i) => -logp[i * 4 + c]).ToArray();
        Assert.Equal(perSample, CrossEntropy(logits, labels, Reduction.None).ToArray<double>(), new Tolerance(1e-12));
        Assert.Equal(perSample.Average(), CrossEntropy(logits, labels).Item(), 12);
        Assert.Equal(perSample.Sum(), CrossEntropy(logits, labels, Reduction.Sum).Item(), 12);
        foreach (var r in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
            GradCheck.FirstOrder(t => CrossEntropy(t[0], labels, r), logits);
    }

    [Fact]
    public void CrossEntropyLabelSmoothingAndSoftTargets()
    {
        using var scope = new TensorScope();
        var logits = TestData.Normal(162, 5, 4);
        var labels = TestData.Labels(163, 5, 4);
        // Smoothing ε is the same as soft targets (1−ε)·onehot + ε/K.
        var soft = labels.OneHot(4).To(DType.Float64).Mul(0.9).Add(0.1 / 4);
        Assert.Equal(CrossEntropy(logits, soft).Item(), CrossEntropy(logits, labels, labelSmoothing: 0.1).Item(), 12);
        GradCheck.FirstOrder(t => CrossEntropy(t[0], labels, labelSmoothing: 0.1), logits);
        var probabilities = TestData.Normal(164, 5, 4).Softmax(1);
        GradCheck.FirstOrder(t => CrossEntropy(t[0], t[1]), logits, probabilities);
        GradCheck.FirstOrder(t => CrossEntropy(t[0], t[1], Reduction.None), logits, probabilities);
    }

    [Fact]
    public void MseLoss()
    {
        using var scope = new TensorScope();
        var (a, b) = (TestData.Normal(170, 3, 4), TestData.Normal(171, 3, 4));
        Assert.Equal(a.Sub(b).Square().Mean().Item(), Functional.MseLoss(a, b).Item(), 12);
        Assert.Equal(a.Sub(b).Square().Sum().Item(), Functional.MseLoss(a, b, Reduction.Sum).Item(), 12);
        foreach (var r in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
            GradCheck.FirstOrder(t => Functional.MseLoss(t[0], t[1], r), a, b);
    }

    /// <summary>A near-identity affine transform per sample: scaled past ±1 so some samples fall in the zero padding.</summary>
    internal static Tensor Theta(int seed) =>
        Tensors.FromArray(new double[] { 1.15, 0.2, 0.05, -0.15, 0.95, -0.1, 0.9, -0.1, 0.2, 0.25, 1.1, 0.1 }, 2, 2, 3)
             .Add(TestData.Normal(seed, 2, 2, 3).Mul(0.05));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AffineGridAndGridSample(bool alignCorners)
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(180, 2, 2, 4, 5);
        GradCheck.FirstOrder(t => GridSample(t[0], AffineGrid(t[1], [2, 2, 3, 4], alignCorners), alignCorners), x, Theta(181));
        GradCheck.FirstOrder(t => GridSample(t[0], t[1], alignCorners), x, TestData.Uniform(182, -1.2, 1.2, 2, 3, 4, 2));
        GradCheck.FirstOrder(t => AffineGrid(t[0], [2, 1, 3, 4], alignCorners), Theta(183));
    }

    [Fact]
    public void IdentityWarpReproducesTheImage()
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(184, 2, 3, 4, 5);
        var identity = Tensors.FromArray(new double[] { 1, 0, 0, 0, 1, 0 }, 1, 2, 3).Expand(2, 2, 3);
        foreach (bool align in new[] { true, false })
        {
            var y = GridSample(x, AffineGrid(identity, [2, 3, 4, 5], align), align);
            Assert.Equal(x.ToArray<double>(), y.ToArray<double>(), new Tolerance(1e-10));
        }
        // Shifting right by one pixel's worth (2/W in normalised units, align_corners=false) brings in zeros.
        var shift = Tensors.FromArray(new double[] { 1, 0, -2.0 / 5, 0, 1, 0 }, 1, 2, 3).Expand(2, 2, 3);
        var shifted = GridSample(x, AffineGrid(shift, [2, 3, 4, 5], false), false);
        Assert.All(shifted.Select(3, 0).ToArray<double>(), v => Assert.Equal(0, v, 12));
        Assert.Equal(x.Narrow(3, 0, 4).Contiguous().ToArray<double>(), shifted.Narrow(3, 1, 4).Contiguous().ToArray<double>(), new Tolerance(1e-10));
    }

    [Theory]
    [InlineData(true, 7, 3)]
    [InlineData(false, 7, 3)]
    [InlineData(false, 2, 2)]
    public void InterpolateBilinear(bool alignCorners, int outH, int outW)
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(190, 1, 2, 4, 5);
        GradCheck.FirstOrder(t => Functional.InterpolateBilinear(t[0], outH, outW, alignCorners), x);
        Assert.Equal(x.ToArray<double>(), Functional.InterpolateBilinear(x, 4, 5, alignCorners).ToArray<double>(), new Tolerance(1e-12));
    }
}
