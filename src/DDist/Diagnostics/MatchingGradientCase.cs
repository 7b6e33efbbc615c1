using DDist.Distillation;
using DDist.Models;
using DDist.Torch;

namespace DDist.Diagnostics;

/// <summary>The self-test case for one trajectory-matching iteration (Cazenavette et al. 2022, MTT `distill.py`):
/// the matching loss after <see cref="SynSteps"/> unrolled student steps from an expert's θ₀, and its gradient
/// with respect to the synthetic images and the learnable step size. The student starts from one fixed ConvNet
/// initialisation (drawn once on the CPU, so every device starts from the same θ₀); θ* is θ₀ moved by a small
/// fixed offset. Each step uses the whole synthetic set (no mini-batch sampling, no DSA), so the CPU and the device
/// compute the same function: only the order of summation differs.</summary>
public sealed record MatchingGradientCase(int ImagesPerClass = 2, int SynSteps = 4, int Width = 16, int Depth = 2,
                                          int Channels = 1, int Classes = 10, int ImageSize = 16)
{
    public SelfTestCase Build()
    {
        var net = ModelZoo.Create($"ConvNet(width={Width},depth={Depth})", Channels, Classes, ImageSize, ImageSize);
        double[] init;
        using (var scope = new TensorScope())
        {
            Tensors.ManualSeed(2024);
            init = net.InitParameters(Device.Cpu).To(DType.Float64).ToArray<double>();
        }
        long n = (long)ImagesPerClass * Classes;
        var labels = Enumerable.Range(0, (int)n).Select(i => (long)(i % Classes)).ToArray();
        return new SelfTestCase(
            $"matching iteration (ConvNet width {Width} depth {Depth}, {n} images {Channels}×{ImageSize}×{ImageSize}, {SynSteps} steps)",
            [new([n, Channels, ImageSize, ImageSize]), new([]), new([init.Length], Differentiable: false)],
            t =>
            {
                var (images, lrRaw, offset) = (t[0], t[1], t[2]);
                var theta0 = Tensors.FromArray(init).To(images.DType, images.Device);
                var thetaStar = theta0 + offset * 0.01;
                var lr = (lrRaw.Tanh() * 0.1 + 1) * 0.01;
                var y = Tensors.FromArray(labels).To(images.Device);
                return TrajectoryMatchingLoss.Compute(net, images, y, lr, theta0, thetaStar, SynSteps, batchSyn: null, augment: null);
            },
            SecondOrder: false) { ToleranceScale = 10 };
    }
}
