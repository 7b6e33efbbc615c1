using DDist.Torch;

namespace DDist.Diagnostics;

/// <summary>One input of a self-test case: its shape, whether gradients are taken with respect to it, and how
/// its values are drawn (standard normal unless <paramref name="ClassIndices"/> gives int64 labels in [0, K)).</summary>
public sealed record SelfTestInput(long[] Shape, bool Differentiable = true, int? ClassIndices = null);

/// <summary>A computation the self-test runs on the CPU (float64 reference, float32) and on the device
/// (float32): its value, its first-order gradients with respect to the differentiable inputs, and, when
/// <paramref name="SecondOrder"/>, a Hessian-vector product (the gradient of ⟨∇f, v⟩), which is what trajectory
/// matching differentiates through.</summary>
public sealed record SelfTestCase(string Name, SelfTestInput[] Inputs, Func<Tensor[], Tensor> Forward, bool SecondOrder = true)
{
    /// <summary>Multiplies the self-test's tolerances, for long chains of ops (an unrolled training run) whose
    /// float32 rounding compounds.</summary>
    public double ToleranceScale { get; init; } = 1;

    /// <summary>The ops DDist's pipeline uses (networks, losses, DSA warps, optimiser maths), small enough that the
    /// float64 reference takes milliseconds.</summary>
    public static IReadOnlyList<SelfTestCase> Ops() =>
    [
        new("conv2d", [new([2, 3, 8, 8]), new([4, 3, 3, 3]), new([4])], t => Functional.Conv2d(t[0], t[1], t[2], padding: 1)),
        new("conv2d stride 2", [new([2, 3, 9, 9]), new([4, 3, 3, 3])], t => Functional.Conv2d(t[0], t[1], null, stride: 2, padding: 1)),
        new("linear", [new([5, 12]), new([7, 12]), new([7])], t => Functional.Linear(t[0], t[1], t[2])),
        new("matmul", [new([3, 5, 6]), new([6, 4])], t => t[0].MatMul(t[1])),
        new("instance norm", [new([2, 4, 6, 6]), new([4]), new([4])], t => Functional.InstanceNorm(t[0], t[1], t[2])),
        new("group norm", [new([2, 4, 6, 6]), new([4]), new([4])], t => Functional.GroupNorm(t[0], 2, t[1], t[2])),
        new("batch norm (training)", [new([6, 4, 5, 5]), new([4]), new([4])], t => Functional.BatchNorm(t[0], t[1], t[2], null, null, training: true)),
        new("layer norm", [new([3, 4, 5]), new([4, 5]), new([4, 5])], t => Functional.LayerNorm(t[0], [4, 5], t[1], t[2])),
        new("avg pool", [new([2, 3, 8, 8])], t => Functional.AvgPool2d(t[0], 2)),
        new("max pool", [new([2, 3, 8, 8])], t => Functional.MaxPool2d(t[0], 2), SecondOrder: false),
        new("adaptive avg pool", [new([2, 3, 7, 7])], t => Functional.AdaptiveAvgPool2d(t[0], 3, 3)),
        new("activations", [new([4, 9])], t => t[0].Relu() * t[0].Tanh() + t[0].Sigmoid() * (t[0] * 0.3).Exp() + t[0].LeakyRelu(0.2)),
        new("log, sqrt, pow", [new([4, 9])], t => (t[0].Abs() + 0.5).Log() + (t[0].Square() + 1).Sqrt() + (t[0].Abs() + 1).Pow(1.5)),
        new("softmax", [new([4, 10])], t => t[0].Softmax(1) + t[0].LogSoftmax(1)),
        new("cross-entropy (labels)", [new([6, 10]), new([6], Differentiable: false, ClassIndices: 10)], t => Functional.CrossEntropy(t[0], t[1])),
        new("cross-entropy (soft)", [new([6, 10]), new([6, 10], Differentiable: false)], t => Functional.CrossEntropy(t[0], t[1].Softmax(1))),
        new("mse", [new([4, 5]), new([4, 5])], t => Functional.MseLoss(t[0], t[1])),
        new("reductions", [new([3, 4, 5])], t => t[0].Var([1]).Sum() + t[0].Std([2], correction: 0).Sum() + t[0].Norm() + t[0].LogSumExp(2).Mean()),
        new("affine grid + grid sample", [new([2, 3, 8, 8]), new([2, 2, 3])],
            t => Functional.GridSample(t[0], Functional.AffineGrid(t[1] * 0.2 + Identity(t[1]), [2, 3, 8, 8], alignCorners: true), alignCorners: true),
            SecondOrder: false),
        new("grid sample as gathers (deterministic mode on CUDA)", [new([2, 3, 8, 8]), new([2, 6, 7, 2])],
            t => Functional.GridSampleByGather(t[0], t[1] * 0.6, alignCorners: false)),
        new("bilinear resize", [new([2, 3, 6, 6])], t => Functional.InterpolateBilinear(t[0], 9, 9, alignCorners: false), SecondOrder: false),
        new("shape ops", [new([2, 3, 4, 4]), new([2, 3, 4, 4])],
            t => Tensors.Cat([t[0].Flip(3), t[1].Roll([1], [2])], 1).Pad([1, 1, 1, 1]).IndexSelect(1, Index(t[0], [5, 0, 2])), SecondOrder: false),
    ];

    /// <summary>theta + identity affine matrix, on theta's device and dtype.</summary>
    private static Tensor Identity(Tensor theta) =>
        Tensors.FromArray(new double[] { 1, 0, 0, 0, 1, 0 }, 1, 2, 3).To(theta.DType, theta.Device);

    private static Tensor Index(Tensor like, long[] index) => Tensors.FromArray(index).To(like.Device);
}
