using System.Diagnostics;
using DDist.Models;
using DDist.Torch;
using DDist.Training;

namespace DDist.Bench;

/// <summary>`expert-epoch`: the work of expert training with SelMatch's settings (SelMatch `buffer.py` and
/// `scripts/`: ConvNetBN, plain SGD lr 0.01, batch 256, no augmentation) through DDist's own Trainer, on the first N
/// Fashion-MNIST training images (one "epoch" of N images; N = 5120 by default, 20 steps: short on small machines,
/// yet long enough that one slow step does not swing the ratio). `expert-epoch-gsam`: the same epoch as DATM's
/// `buffer_FTD.py` trains (ConvNet with instance norm, GSAM ρ 0.01, α 0.3, adaptive, over SGD lr 0.01): two forward
/// and backward passes a step.</summary>
public sealed class ExpertEpoch(string name = "expert-epoch", string model = "ConvNetBN", SharpnessAware? gsam = null) : IBenchCase
{
    public static ExpertEpoch Gsam() => new("expert-epoch-gsam", "ConvNet", new SharpnessAware { Rho = 0.01, Alpha = 0.3 });

    public string Name => name;

    public CaseResult Run(BenchSettings settings)
    {
        using var scope = new TensorScope();
        var device = settings.TorchDevice;
        using var data = FashionMnistWork.First(settings, train: true, settings.ExpertImages);
        var net = ModelZoo.Create(model, 1, 10, 28, 28);
        Tensors.ManualSeed(settings.Seed);
        var options = new TrainOptions { Epochs = 2, BatchSize = settings.Batch, LearningRate = 0.01, Sharpness = gsam };
        using var state = TrainingState.Create(net, options, device);
        var trainer = new Trainer(net, options);
        var set = TrainingSet.From(data);
        trainer.RunEpoch(state, set);                       // warm-up epoch: allocator and oneDNN caches settle
        var cpu0 = Environment.CpuUsage.TotalTime;
        var clock = Stopwatch.StartNew();
        var stats = trainer.RunEpoch(state, set);
        Tensors.CudaSynchronize();
        double wall = clock.Elapsed.TotalSeconds, cpu = (Environment.CpuUsage.TotalTime - cpu0).TotalSeconds;
        return new CaseResult(
            [
                new Metric("images/s", data.Count / wall, HigherIsBetter: true),
                new Metric("s/epoch(60k)", wall * 60000 / data.Count, HigherIsBetter: false),
                new Metric("cpu s/epoch(60k)", cpu * 60000 / data.Count, HigherIsBetter: false),
            ],
            new Dictionary<string, object> { ["images"] = data.Count, ["loss"] = stats.Loss, ["train_acc"] = stats.Accuracy, ["model"] = model, ["optimizer"] = gsam is null ? "sgd" : "gsam", ["dataset"] = settings.Dataset, ["device"] = device.ToString() });
    }
}
