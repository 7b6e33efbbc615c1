using static DDist.Torch.Functional;

namespace DDist.Torch.Tests;

/// <summary>The gather form of bilinear, zero-padded grid sampling (what <see cref="Functional.GridSample"/> runs on
/// CUDA in deterministic mode) against libtorch's grid_sampler and against finite differences.</summary>
public class GridSampleByGatherTests
{
    /// <summary>Sampling points inside the image, past its edges (zero padding) and far outside, on an output grid of
    /// another size than the image.</summary>
    private static Tensor Grid(int seed) => TestData.Uniform(seed, -1.4, 1.4, 2, 5, 7, 2);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ValuesAndGradientsEqualGridSample(bool alignCorners)
    {
        using var scope = new TensorScope();
        var image = TestData.Normal(300, 2, 3, 4, 6);
        var upstream = TestData.Normal(301, 2, 3, 5, 7);
        foreach (var grid in new[] { Grid(302), AffineGrid(NeuralNetGradTests.Theta(303), [2, 3, 5, 7], alignCorners) })
        {
            var (expected, expectedGrads) = ValueAndGradients(t => GridSample(t[0], t[1], alignCorners), image, grid, upstream);
            var (actual, actualGrads) = ValueAndGradients(t => GridSampleByGather(t[0], t[1], alignCorners), image, grid, upstream);
            Assert.Equal(expected, actual, new Tolerance(1e-12));
            Assert.Equal(expectedGrads[0], actualGrads[0], new Tolerance(1e-12));
            Assert.Equal(expectedGrads[1], actualGrads[1], new Tolerance(1e-10));
        }
    }

    [Fact]
    public void Float32AgreesWithGridSampleToRounding()
    {
        using var scope = new TensorScope();
        var image = TestData.Normal(304, 4, 2, 28, 28).To(DType.Float32);
        var grid = AffineGrid(NeuralNetGradTests.Theta(305).Repeat(2, 1, 1).To(DType.Float32), [4, 2, 28, 28], true);
        Assert.Equal(GridSample(image, grid, true).ToArray<float>().Select(v => (double)v),
                     GridSampleByGather(image, grid, true).ToArray<float>().Select(v => (double)v), new Tolerance(2e-6));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DerivativesMatchFiniteDifferences(bool alignCorners)
    {
        using var scope = new TensorScope();
        var image = TestData.Normal(306, 2, 2, 4, 5);
        GradCheck.FirstOrder(t => GridSampleByGather(t[0], t[1], alignCorners), image, Grid(307));
        GradCheck.FirstOrder(t => GridSampleByGather(t[0], AffineGrid(t[1], [2, 2, 3, 4], alignCorners), alignCorners), image, NeuralNetGradTests.Theta(308));
        // Trajectory matching's use: the warped images feed a layer, the inner gradient is taken with respect to its
        // weights, the outer one flows back through the warp into the images and the warp's parameters.
        var w = TestData.Normal(309, 3, 2, 2, 2);
        GradCheck.SecondOrder(t => Conv2d(GridSampleByGather(t[0], AffineGrid(t[1], [2, 2, 4, 4], alignCorners), alignCorners), t[2]).Tanh(),
                              [image, NeuralNetGradTests.Theta(310), w], innerWrt: [2]);
        // Unlike libtorch 1.13's grid_sampler, a gradient taken through the gathers can be differentiated again.
        GradCheck.SecondOrder(t => GridSampleByGather(t[0], t[1], alignCorners).Square(), [image, Grid(311)]);
    }

    [Fact]
    public void MismatchedInputsAreRefusedByName()
    {
        using var scope = new TensorScope();
        var image = TestData.Normal(312, 2, 3, 4, 4);
        var dtype = Assert.Throws<TorchException>(() => GridSampleByGather(image, Grid(313).To(DType.Float32), false));
        Assert.Contains("dtype", dtype.Message);
        var shape = Assert.Throws<TorchException>(() => GridSampleByGather(image, TestData.Uniform(314, -1, 1, 3, 4, 4, 2), false));
        Assert.Contains("same N", shape.Message);
    }

    /// <summary>f's value and its gradients with respect to both inputs for a fixed upstream gradient.</summary>
    private static (double[] Value, double[][] Grads) ValueAndGradients(Func<Tensor[], Tensor> f, Tensor image, Tensor grid, Tensor upstream)
    {
        using var scope = new TensorScope();
        var inputs = new[] { image.Detach().RequiresGrad_(), grid.Detach().RequiresGrad_() };
        var y = f(inputs);
        var grads = Autograd.Grad([(y * upstream).Sum()], inputs);
        return (y.ToArray<double>(), grads.Select(g => g!.ToArray<double>()).ToArray());
    }
}
