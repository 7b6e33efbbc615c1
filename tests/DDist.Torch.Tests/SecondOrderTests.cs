using static DDist.Torch.Functional;

namespace DDist.Torch.Tests;

/// <summary>Gradients of gradients (createGraph) for the ops that trajectory matching and gradient matching
/// differentiate twice. Piecewise-linear ops are squared so that their second derivative is not trivially zero.</summary>
public class SecondOrderTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 0, 2)]
    public void Conv2d(int stride, int padding, int groups)
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(201, 2, 2, 5, 5);
        var w = TestData.Normal(202, 4, 2 / groups, 3, 3);
        var b = TestData.Normal(203, 4);
        GradCheck.SecondOrder(t => Functional.Conv2d(t[0], t[1], t[2], stride, padding, groups: groups), [x, w, b]);
    }

    [Fact]
    public void Linear()
    {
        using var scope = new TensorScope();
        GradCheck.SecondOrder(t => Functional.Linear(t[0], t[1], t[2]), [TestData.Normal(204, 5, 4), TestData.Normal(205, 3, 4), TestData.Normal(206, 3)]);
    }

    [Fact]
    public void ReluNetwork()
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(207, 5, 4);
        var (w1, w2) = (TestData.Normal(208, 6, 4), TestData.Normal(209, 3, 6));
        // Keep pre-activations away from zero: x·w1ᵀ is well separated from the kink for this seed (checked by
        // the first-order check also passing).
        GradCheck.SecondOrder(t => Functional.Linear(Functional.Linear(t[0], t[1]).Relu(), t[2]).Square(), [x, w1, w2]);
    }

    [Fact]
    public void BatchNormTrainAndEval()
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(210, 4, 3, 2, 2);
        var (w, b) = (TestData.Uniform(211, 0.5, 1.5, 3), TestData.Normal(212, 3));
        var runningMean = Tensors.Zeros([3], DType.Float64);
        var runningVar = Tensors.Ones([3], DType.Float64);
        GradCheck.SecondOrder(t => BatchNorm(t[0], t[1], t[2], runningMean, runningVar, training: true), [x, w, b]);
        var (evalMean, evalVar) = (TestData.Normal(213, 3), TestData.Uniform(214, 0.5, 2, 3));
        GradCheck.SecondOrder(t => BatchNorm(t[0], t[1], t[2], evalMean, evalVar, training: false).Square(), [x, w, b]);
    }

    [Fact]
    public void InstanceNorm()
    {
        using var scope = new TensorScope();
        GradCheck.SecondOrder(t => Functional.InstanceNorm(t[0], t[1], t[2]),
            [TestData.Normal(215, 2, 3, 3, 3), TestData.Uniform(216, 0.5, 1.5, 3), TestData.Normal(217, 3)]);
    }

    [Fact]
    public void GroupNorm()
    {
        using var scope = new TensorScope();
        GradCheck.SecondOrder(t => Functional.GroupNorm(t[0], 2, t[1], t[2]),
            [TestData.Normal(218, 2, 4, 2, 3), TestData.Uniform(219, 0.5, 1.5, 4), TestData.Normal(220, 4)]);
    }

    [Fact]
    public void LayerNorm()
    {
        using var scope = new TensorScope();
        GradCheck.SecondOrder(t => Functional.LayerNorm(t[0], [3, 4], t[1], t[2]),
            [TestData.Normal(221, 2, 3, 4), TestData.Uniform(222, 0.5, 1.5, 3, 4), TestData.Normal(223, 3, 4)]);
    }

    [Fact]
    public void Pooling()
    {
        using var scope = new TensorScope();
        var x = TestData.Distinct(224, [2, 2, 5, 5]);
        GradCheck.SecondOrder(t => MaxPool2d(t[0], 2).Square(), [x]);
        GradCheck.SecondOrder(t => MaxPool2d(t[0], 3, 2, 1).Square(), [x]);
        GradCheck.SecondOrder(t => AvgPool2d(t[0], 2).Square(), [x]);
        GradCheck.SecondOrder(t => AvgPool2d(t[0], 3, 2, 1).Square(), [x]);
        GradCheck.SecondOrder(t => AdaptiveAvgPool2d(t[0], 3, 2).Square(), [x]);
    }

    [Fact]
    public void CrossEntropy()
    {
        using var scope = new TensorScope();
        var logits = TestData.Normal(225, 5, 4);
        var labels = TestData.Labels(226, 5, 4);
        GradCheck.SecondOrder(t => Functional.CrossEntropy(t[0], labels), [logits]);
        GradCheck.SecondOrder(t => Functional.CrossEntropy(t[0], labels, Reduction.Sum, labelSmoothing: 0.2), [logits]);
        GradCheck.SecondOrder(t => Functional.CrossEntropy(t[0], t[1]), [logits, TestData.Normal(227, 5, 4).Softmax(1)]);
    }

    [Fact]
    public void MseLoss()
    {
        using var scope = new TensorScope();
        GradCheck.SecondOrder(t => Functional.MseLoss(t[0], t[1]), [TestData.Normal(228, 3, 4), TestData.Normal(229, 3, 4)]);
        GradCheck.SecondOrder(t => Functional.MseLoss(t[0].Tanh(), t[1], Reduction.None), [TestData.Normal(230, 3, 4), TestData.Normal(231, 3, 4)]);
    }

    [Fact]
    public void InterpolateBilinear()
    {
        using var scope = new TensorScope();
        GradCheck.SecondOrder(t => Functional.InterpolateBilinear(t[0], 6, 3, false).Square(), [TestData.Normal(232, 1, 2, 4, 5)]);
    }

    /// <summary>The way trajectory and gradient matching use grid_sample: the warped images feed a layer, the
    /// inner gradient is taken with respect to the layer's weights, and the outer one flows back through the
    /// warp into the images and the warp parameters.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GridSampleFeedingALayer(bool alignCorners)
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(233, 2, 2, 4, 5);
        var theta = NeuralNetGradTests.Theta(234);
        var w = TestData.Normal(235, 3, 2, 2, 2);
        Func<Tensor[], Tensor> f = t =>
            Functional.Conv2d(GridSample(t[0], AffineGrid(t[1], [2, 2, 4, 4], alignCorners), alignCorners), t[2]).Tanh();
        GradCheck.SecondOrder(f, [x, theta, w], innerWrt: [2]);
    }

    /// <summary>libtorch 1.13 has no derivative for grid_sampler_2d_backward, so a gradient taken *through*
    /// grid_sample cannot be differentiated again. DDist never needs that (see GridSampleFeedingALayer), and the
    /// failure must be a TorchException, not a crash.</summary>
    [Fact]
    public void GridSampleDoubleBackwardIsNotAvailableInLibtorch113()
    {
        using var scope = new TensorScope();
        var x = TestData.Normal(236, 1, 1, 3, 3).RequiresGrad_();
        var grid = TestData.Uniform(237, -0.9, 0.9, 1, 2, 2, 2).RequiresGrad_();
        var y = GridSample(x, grid, false).Square().Sum();
        var g = Autograd.Grad([y], [x], createGraph: true)[0]!;
        var ex = Assert.Throws<TorchException>(() => Autograd.Grad([g.Sum()], [x, grid], allowUnused: true));
        Assert.Contains("grid_sampler_2d_backward", ex.Message);
        Assert.Equal(2.0, Tensors.Scalar(1, DType.Float64).Add(1).Item());
    }
}
