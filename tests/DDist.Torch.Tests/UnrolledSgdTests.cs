using static DDist.Torch.Functional;

namespace DDist.Torch.Tests;

/// <summary>The shape of trajectory matching in miniature: two unrolled SGD steps of a tiny conv net written
/// with Functional ops over explicit weights, the second step differentiated through the first (createGraph),
/// and the distance of the final weights to a target differentiated back to the input images and the
/// learning rate. Checked against finite differences in float64.</summary>
public class UnrolledSgdTests
{
    private const int Batch = 4, Classes = 3;

    /// <summary>Images: (4, 1, 6, 6). A fixed affine warp (as DSA applies) → conv 3×3 (4 channels, padding 1)
    /// → ReLU → 2×2 average pool → linear to 3 classes.</summary>
    private static Tensor Forward(Tensor images, Tensor[] p, Tensor theta)
    {
        var warped = GridSample(images, AffineGrid(theta, [Batch, 1, 6, 6], alignCorners: false), alignCorners: false);
        var h = AvgPool2d(Functional.Conv2d(warped, p[0], p[1], padding: 1).Relu(), 2);
        return Linear(h.Flatten(1), p[2], p[3]);
    }

    private static Tensor[] InitialParameters() =>
    [
        TestData.Normal(301, 4, 1, 3, 3).Mul(0.5),
        TestData.Normal(302, 4).Mul(0.1),
        TestData.Normal(303, Classes, 36).Mul(0.3),
        TestData.Normal(304, Classes).Mul(0.1),
    ];

    /// <summary>‖θ₂ − θ_target‖² with θ_{k+1} = θ_k − lr·∇_θ CE(f(x; θ_k), y).</summary>
    private static Tensor TrajectoryLoss(Tensor images, Tensor lr, Tensor labels, Tensor theta, Tensor[] target)
    {
        var p = InitialParameters().Select(t => t.RequiresGrad_()).ToArray();
        for (int step = 0; step < 2; step++)
        {
            var loss = CrossEntropy(Forward(images, p, theta), labels);
            var grads = Autograd.Grad([loss], p, createGraph: true);
            p = p.Select((w, i) => w.Sub(grads[i]!.Mul(lr))).ToArray();
        }
        return p.Select((w, i) => w.Sub(target[i]).Square().Sum()).Aggregate((a, b) => a.Add(b));
    }

    [Fact]
    public void GradientWithRespectToImagesAndLearningRateMatchesFiniteDifferences()
    {
        using var scope = new TensorScope();
        var images = TestData.Normal(305, Batch, 1, 6, 6);
        var lr = Tensors.Scalar(0.5, DType.Float64);
        var labels = TestData.Longs([0, 2, 1, 2], Batch);
        var theta = Tensors.FromArray(new double[] { 0.9, 0.1, 0.05, -0.1, 1.05, -0.05 }, 1, 2, 3).Expand(Batch, 2, 3);
        var target = InitialParameters().Select((t, i) => t.Add(TestData.Normal(310 + i, t.Shape).Mul(0.2))).ToArray();

        GradCheck.FirstOrder(x => TrajectoryLoss(x[0], x[1], labels, theta, target), images, lr);
    }

    [Fact]
    public void UnrolledStepsActuallyDependOnEachOther()
    {
        // Guards the test above against a silently detached second step: without createGraph the gradient
        // with respect to the images would miss the path through θ₁ and differ.
        using var scope = new TensorScope();
        var images = TestData.Normal(305, Batch, 1, 6, 6).RequiresGrad_();
        var labels = TestData.Longs([0, 2, 1, 2], Batch);
        var theta = Tensors.FromArray(new double[] { 0.9, 0.1, 0.05, -0.1, 1.05, -0.05 }, 1, 2, 3).Expand(Batch, 2, 3);
        var p0 = InitialParameters().Select(t => t.RequiresGrad_()).ToArray();
        var g0 = Autograd.Grad([CrossEntropy(Forward(images, p0, theta), labels)], p0, createGraph: true);
        var p1 = p0.Select((w, i) => w.Sub(g0[i]!.Mul(0.5))).ToArray();
        var p1Detached = p1.Select(w => w.Detach().RequiresGrad_()).ToArray();
        Tensor Final(Tensor[] p)
        {
            var g = Autograd.Grad([CrossEntropy(Forward(images, p, theta), labels)], p, createGraph: true);
            return p.Select((w, i) => w.Sub(g[i]!.Mul(0.5)).Square().Sum()).Aggregate((a, b) => a.Add(b));
        }
        var full = Autograd.Grad(Final(p1), images).ToArray<double>();
        var partial = Autograd.Grad(Final(p1Detached), images).ToArray<double>();
        double diff = full.Zip(partial, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(diff > 1e-4, $"the path through θ₁ changes d/dx by only {diff}");
    }
}
