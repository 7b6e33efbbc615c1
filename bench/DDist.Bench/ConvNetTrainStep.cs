using DDist.Torch;
using F = DDist.Torch.Functional;

namespace DDist.Bench;

/// <summary>One SGD training step of the default distillation network, ConvNet (width 128, depth 3,
/// "instancenorm" = GroupNorm(128, 128) with affine, ReLU, AvgPool 2) on a 3×32×32, 10-class batch: forward,
/// cross-entropy, gradients by autograd, plain SGD (lr 0.01) in place. Written directly over explicit parameter
/// tensors with Functional ops, so it measures the engine rather than any model code.</summary>
public sealed class ConvNetTrainStep : IBenchCase
{
    private const int Width = 128, Depth = 3, Classes = 10, Channels = 3, ImageSize = 32;
    private const double LearningRate = 0.01;

    public string Name => "convnet-train-step";

    public CaseResult Run(BenchSettings settings)
    {
        Tensors.ManualSeed(settings.Seed);
        var device = settings.TorchDevice;
        var parameters = InitParameters(device);
        // The same draws in the same order as bench/pytorch/convnet_step.py, so both start from identical tensors.
        using var images = OnDevice(Tensors.Randn([settings.Batch, Channels, ImageSize, ImageSize]), device);
        using var labels = OnDevice(Tensors.RandInt(0, Classes, [settings.Batch]), device);
        try
        {
            double firstLoss = double.NaN, lastLoss = double.NaN;
            var times = StepTimer.Measure(settings.Warmup, settings.Timed, () =>
            {
                lastLoss = Step(parameters, images, labels);
                if (double.IsNaN(firstLoss)) firstLoss = lastLoss;
            });
            double median = StepTimer.Median(times.Wall);
            return new CaseResult(
                [
                    new Metric("steps/s", 1 / median, HigherIsBetter: true),
                    new Metric("ms/step", 1000 * median, HigherIsBetter: false),
                    new Metric("images/s", settings.Batch / median, HigherIsBetter: true),
                    new Metric("cpu ms/step", 1000 * StepTimer.Median(times.Cpu), HigherIsBetter: false),
                ],
                new Dictionary<string, object>
                {
                    ["batch"] = settings.Batch, ["warmup"] = settings.Warmup, ["timed"] = settings.Timed,
                    ["step_ms"] = times.Wall.Select(s => Math.Round(1000 * s, 3)).ToArray(),
                    ["step_cpu_ms"] = times.Cpu.Select(s => Math.Round(1000 * s, 3)).ToArray(),
                    ["mean_ms"] = 1000 * times.Wall.Average(),
                    ["first_loss"] = firstLoss, ["last_loss"] = lastLoss,
                    ["model"] = "functional ops over explicit parameter tensors", ["device"] = device.ToString(),
                });
        }
        finally
        {
            foreach (var p in parameters) p.Dispose();
        }
    }

    /// <summary>Per layer: conv weight, conv bias, norm γ, norm β; then the classifier weight and bias.
    /// PyTorch's default init: U(−1/√fan_in, 1/√fan_in) for conv/linear weights and biases, γ = 1, β = 0.</summary>
    private static List<Tensor> InitParameters(Device device)
    {
        var ps = new List<Tensor>();
        int inChannels = Channels;
        for (int d = 0; d < Depth; d++)
        {
            int fanIn = inChannels * 3 * 3;
            ps.Add(Uniform([Width, inChannels, 3, 3], fanIn, device));
            ps.Add(Uniform([Width], fanIn, device));
            ps.Add(Tensors.Ones([Width], DType.Float32, device).RequiresGrad_());
            ps.Add(Tensors.Zeros([Width], DType.Float32, device).RequiresGrad_());
            inChannels = Width;
        }
        int features = Width * (ImageSize >> Depth) * (ImageSize >> Depth);
        ps.Add(Uniform([Classes, features], features, device));
        ps.Add(Uniform([Classes], features, device));
        return ps;
    }

    /// <summary>Drawn by the CPU generator (as the PyTorch side), then moved to the device.</summary>
    private static Tensor Uniform(long[] shape, int fanIn, Device device)
    {
        var t = Tensors.Empty(shape);
        double bound = 1 / Math.Sqrt(fanIn);
        t.UniformInPlace(-bound, bound);
        return OnDevice(t, device).RequiresGrad_();
    }

    private static Tensor OnDevice(Tensor t, Device device)
    {
        if (device == Device.Cpu) return t;
        var moved = t.To(device);
        t.Dispose();
        return moved;
    }

    private static double Step(List<Tensor> ps, Tensor images, Tensor labels)
    {
        using var scope = new TensorScope();
        Tensor loss;
        // The forward's intermediates get their own scope, as the library's networks do (SequentialNetwork.Forward):
        // once it ends only the autograd graph holds what backward needs, and backward frees that as it goes, as
        // PyTorch's does when a Python name is rebound. Holding every handle to the step's end kept them all alive
        // through backward (GPU peak 874 against PyTorch's 585 MiB on an H200).
        using (new TensorScope())
        {
            var x = images;
            for (int d = 0; d < Depth; d++)
            {
                x = F.Conv2d(x, ps[4 * d], ps[4 * d + 1], stride: 1, padding: 1);
                x = F.GroupNorm(x, Width, ps[4 * d + 2], ps[4 * d + 3]);
                x = F.Relu(x);
                x = F.AvgPool2d(x, 2);
            }
            var logits = F.Linear(x.Flatten(1), ps[^2], ps[^1]);
            loss = F.CrossEntropy(logits, labels).MoveToOuterScope();
        }
        var grads = Autograd.Grad([loss], ps);
        using (Tensors.NoGrad())
            for (int i = 0; i < ps.Count; i++) ps[i].AddInPlace(grads[i]!, -LearningRate);
        return loss.Item();
    }
}
