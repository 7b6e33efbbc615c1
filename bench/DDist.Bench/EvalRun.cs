using System.Diagnostics;
using DDist.Models;
using DDist.Torch;
using DDist.Training;

namespace DDist.Bench;

/// <summary>`eval-run`: one evaluation of a small set as MTT's and DC's `utils.py` evaluate_synset does it — a fresh
/// ConvNet trained on 10 images per class (SGD lr 0.01, momentum 0.9, weight decay 5e-4, batch 256, no augmentation)
/// for E epochs, then tested on the 10,000 Fashion-MNIST test images in eval mode.</summary>
public sealed class EvalRun : IBenchCase
{
    public string Name => "eval-run";

    public CaseResult Run(BenchSettings settings)
    {
        using var scope = new TensorScope();
        var device = settings.TorchDevice;
        using var small = FashionMnistWork.FirstPerClass(settings, 10);
        using var test = FashionMnistWork.First(settings, train: false, 10000);
        var net = ModelZoo.Create("ConvNet", 1, 10, 28, 28);
        Tensors.ManualSeed(settings.Seed);
        var options = new TrainOptions { Epochs = settings.EvalEpochs, BatchSize = 256, LearningRate = 0.01, Momentum = 0.9, WeightDecay = 5e-4 };
        var cpu0 = Environment.CpuUsage.TotalTime;
        var clock = Stopwatch.StartNew();
        using var state = TrainingState.Create(net, options, device);
        new Trainer(net, options).Train(state, TrainingSet.From(small));
        double acc = Trainer.Accuracy(net, state.Parameters, state.NetState, test);
        double wall = clock.Elapsed.TotalSeconds, cpu = (Environment.CpuUsage.TotalTime - cpu0).TotalSeconds;
        return new CaseResult(
            [new Metric("runs/min", 60 / wall, HigherIsBetter: true), new Metric("s/run", wall, HigherIsBetter: false),
             new Metric("cpu s/run", cpu, HigherIsBetter: false)],
            new Dictionary<string, object> { ["epochs"] = settings.EvalEpochs, ["train_images"] = small.Count, ["test_acc"] = acc, ["dataset"] = settings.Dataset, ["device"] = device.ToString() });
    }
}
