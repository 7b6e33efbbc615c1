using DDist.Augment;
using DDist.Distillation;
using DDist.Distillation.Unrolling;
using DDist.Models;
using DDist.Torch;

namespace DDist.Diagnostics;

/// <summary>The self-test's check of exact reverse-mode unrolling with DSA on one device: the reverse walk
/// recomputes every step's augmentation by restoring the generators it drew from (<see cref="RngSnapshot"/>: the
/// CPU's and, on a GPU, the GPU's own), so its gradient must equal full unrolling's from the same seed. In float64 the
/// two agree to rounding; a replay that missed a generator would give other augmentations and differ at once.
/// The CPU path is covered by the unit tests; on a GPU this is what shows the replay holds there.</summary>
public static class UnrollReplayCheck
{
    private const double RelativeTolerance = 1e-8;

    public static IReadOnlyList<SelfTestCheck> Run(Device device, int steps = 4)
    {
        string name = $"exact unrolling replays DSA on {device} (ConvNet width 8, 12 images, {steps} steps, float64)";
        try
        {
            using var full = Gradient(device, UnrollMode.Full, steps);
            using var exact = Gradient(device, UnrollMode.Exact, steps);
            return
            [
                Compare($"{name}: d/d images", exact.Images, full.Images),
                Compare($"{name}: d/d step size", exact.StepSize, full.StepSize),
            ];
        }
        catch (Exception e) when (e is TorchException or InvalidOperationException or ArgumentException or NotSupportedException)
        {
            return [new SelfTestCheck(name, "full unrolling", double.NaN, 0, 0, e.Message)];
        }
    }

    /// <summary>One MTT iteration's gradient on the device: 12 images of 3 classes in batches of 5, so batches differ
    /// and images repeat across steps, with non-Siamese DSA (every family) drawn per batch unless <paramref name="dsa"/>
    /// is false.</summary>
    /// <param name="skewReplay">For the tests: from the reverse walk on, each augmentation first draws one number,
    /// as if its generator had not been put back: what a replay that missed a generator gives.</param>
    internal static UnrollGradients Gradient(Device device, UnrollMode mode, int steps, bool skewReplay = false, DType dtype = DType.Float64,
                                             bool dsa = true)
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(21);
        var net = ConvNet.Create(new ConvNetOptions(3, 3, 8, 8) { Width = 8 });
        var theta0 = net.InitParameters().To(dtype, device);
        var target = theta0 + Tensors.Randn(theta0.Shape, dtype).To(device) * 0.05;
        var images = Tensors.Randn([12, 3, 8, 8], dtype).To(device);
        var labels = Tensors.FromArray(Enumerable.Range(0, 12).Select(i => (long)(i % 3)).ToArray()).To(device);
        var lr = Tensors.Scalar(0.05, dtype).To(device);
        var dsaParams = DsaParams.Default with { Mode = DsaMode.Multiple };
        int calls = 0;
        Tensor Augment(Tensor x)
        {
            if (skewReplay && ++calls > steps) Tensors.Rand([1], DType.Float32, device).Dispose();
            return Dsa.Augment(x, DsaStrategies.Default, dsaParams);
        }
        Tensors.ManualSeed(5);                                 // the same batches and draws for both modes
        var problem = TrajectoryMatchingLoss.Problem(net, images, labels, lr, theta0, target, steps, 5, dsa ? Augment : null, out var schedule);
        using var _ = schedule;
        return UnrolledGradient.Compute(problem, mode);
    }

    private static SelfTestCheck Compare(string name, Tensor actual, Tensor expected)
    {
        using var scope = new TensorScope();
        double scale = expected.Abs().Max().Item();
        double diff = (actual - expected).Abs().Max().Item();
        if (scale == 0) return new SelfTestCheck(name, "full unrolling", diff, scale, 0, "full unrolling gave a zero gradient");
        return new SelfTestCheck(name, "full unrolling", diff, scale, RelativeTolerance * scale);
    }
}
