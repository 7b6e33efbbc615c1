using DDist.Data;
using DDist.Distillation;
using DDist.Models;
using DDist.Torch;

namespace DDist.Bench;

/// <summary>The shared setting of the `dm-iteration` and `dc-outer-iteration` cases: MNIST-sized images (1×28×28,
/// N(0, 1) pixels drawn from the seed), 10 classes of 512 real images each, IPC 10, the reference ConvNet (width
/// 128, depth 3, instance norm), batch_real = --batch. bench/pytorch/family.py builds the same.</summary>
internal static class FamilyWork
{
    public const int Classes = 10, PerClass = 512, Ipc = 10, Size = 28;
    /// <summary>These cases take seconds per step; they time at most this many steps after one warm-up.</summary>
    public const int MaxTimed = 5;

    public static ImageDataset RealPool(ulong seed)
    {
        Tensors.ManualSeed(seed);
        var labels = Enumerable.Range(0, Classes * PerClass).Select(i => (long)(i / PerClass)).ToArray();
        return new ImageDataset
        {
            Name = "bench", Images = Tensors.Randn([Classes * PerClass, 1, Size, Size]).DetachFromScope(),
            Labels = Tensors.FromArray(labels).DetachFromScope(), NumClasses = Classes,
            ClassNames = Enumerable.Range(0, Classes).Select(c => c.ToString()).ToArray(),
        };
    }

    public static INetwork Net() => ModelZoo.Create("ConvNet", 1, Classes, Size, Size);

    public static CaseResult Result(StepTimes times, double firstLoss, double lastLoss, BenchSettings settings, string work) => new(
        [
            new Metric("iterations/s", 1 / StepTimer.Median(times.Wall), HigherIsBetter: true),
            new Metric("s/iteration", StepTimer.Median(times.Wall), HigherIsBetter: false),
            new Metric("cpu s/iteration", StepTimer.Median(times.Cpu), HigherIsBetter: false),
        ],
        new Dictionary<string, object>
        {
            ["ipc"] = Ipc, ["classes"] = Classes, ["batch_real"] = settings.Batch, ["timed"] = times.Wall.Length,
            ["iteration_s"] = times.Wall.Select(s => Math.Round(s, 4)).ToArray(), ["first_loss"] = firstLoss, ["last_loss"] = lastLoss,
            ["work"] = work,
        });
}

/// <summary>`dm-iteration`: one DM iteration through DDist's DistributionMatching.Step — a freshly initialised
/// ConvNet, a random real batch per class, the embeddings of all real and all synthetic images, the loss, its
/// gradient and one SGD (momentum 0.5) step on the images. Without DSA, so both sides do identical work.</summary>
public sealed class DmIteration : IBenchCase
{
    public string Name => "dm-iteration";

    public CaseResult Run(BenchSettings settings)
    {
        using var scope = new TensorScope();
        using var data = FamilyWork.RealPool(settings.Seed);
        using var pool = new ClassImagePool(data);
        using var syn = SyntheticInit.Create(pool, FamilyWork.Ipc, SyntheticStart.Noise);   // N(0, 1), drawn as family.py draws it
        using var opt = new Training.Sgd(0.5);
        var net = FamilyWork.Net();
        var o = new DistributionMatchingOptions { Ipc = FamilyWork.Ipc, BatchReal = settings.Batch, Dsa = false, LrImg = 1.0 };
        double first = double.NaN, last = double.NaN;
        var times = StepTimer.Measure(Math.Min(settings.Warmup, 1), Math.Min(settings.Timed, FamilyWork.MaxTimed), () =>
        {
            last = DistributionMatching.Step(net, pool, syn, opt, o);
            if (double.IsNaN(first)) first = last;
        });
        return FamilyWork.Result(times, first, last, settings, "DistributionMatching.Step (ConvNet embed, no DSA)");
    }
}

/// <summary>`dc-outer-iteration`: one DC outer-loop step through DDist's GradientMatching.OuterStep — per class the
/// real-batch gradient, the synthetic gradient with its graph, the layer-wise distance, its gradient with respect
/// to the images — then one SGD (momentum 0.5) step on the images, at a fixed network (the inner training is plain
/// training, measured by the other cases).</summary>
public sealed class DcOuterIteration : IBenchCase
{
    public string Name => "dc-outer-iteration";

    public CaseResult Run(BenchSettings settings)
    {
        using var scope = new TensorScope();
        using var data = FamilyWork.RealPool(settings.Seed);
        using var pool = new ClassImagePool(data);
        using var syn = SyntheticInit.Create(pool, FamilyWork.Ipc, SyntheticStart.Noise);
        using var opt = new Training.Sgd(0.5);
        var net = FamilyWork.Net();
        using var theta = net.InitParameters().DetachFromScope().RequiresGrad_();
        var o = new GradientMatchingOptions { Ipc = FamilyWork.Ipc, BatchReal = settings.Batch, LrImg = 0.1 };
        double first = double.NaN, last = double.NaN;
        var times = StepTimer.Measure(Math.Min(settings.Warmup, 1), Math.Min(settings.Timed, FamilyWork.MaxTimed), () =>
        {
            last = GradientMatching.OuterStep(net, theta, null, pool, syn, opt, o);
            if (double.IsNaN(first)) first = last;
        });
        return FamilyWork.Result(times, first, last, settings, "GradientMatching.OuterStep (ConvNet, layer-wise distance, no DSA)");
    }
}
