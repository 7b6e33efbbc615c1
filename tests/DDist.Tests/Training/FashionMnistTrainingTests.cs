using System.Diagnostics;
using DDist.Data;
using DDist.Models;
using DDist.Torch;
using DDist.Training;
using Xunit.Abstractions;

namespace DDist.Tests.Training;

/// <summary>End-to-end check on real data: a narrow ConvNet trained on 2,000 Fashion-MNIST images learns.</summary>
[Collection(SerialRngCollection.Name)]
public class FashionMnistTrainingTests(ITestOutputHelper output)
{
    [Fact]
    public void NarrowConvNetOn2000ImagesClears72PercentOnTestImages()
    {
        var raw = DatasetRegistry.Load("fashion-mnist");
        var norm = DatasetRegistry.GetSpec("fashion-mnist").DefaultNormalization;
        // The first 200 images of each class (the files are not class-sorted, so take them per class).
        var trainIdx = raw.Train.IndicesByClass().SelectMany(c => c.Take(200)).Select(i => (long)i).ToArray();
        var testIdx = raw.Test.IndicesByClass().SelectMany(c => c.Take(200)).Select(i => (long)i).ToArray();
        using var train = ImageDataset.FromRaw(raw.Train.Subset(trainIdx), norm, Device.Cpu, raw.Name);
        using var test = ImageDataset.FromRaw(raw.Test.Subset(testIdx), norm, Device.Cpu, raw.Name);

        var net = ModelZoo.Create("ConvNet(width=16)", 1, 10, 28, 28);
        var options = new TrainOptions { Epochs = 3, BatchSize = 64, LearningRate = 0.02, Momentum = 0.9, WeightDecay = 5e-4 };
        Tensors.ManualSeed(0);
        using var state = TrainingState.Create(net, options);
        var clock = Stopwatch.StartNew();
        var history = new Trainer(net, options).Train(state, TrainingSet.From(train));
        double acc = Trainer.Accuracy(net, state.Parameters, state.NetState, test);
        output.WriteLine($"losses {string.Join(", ", history.Select(h => h.Loss.ToString("0.000")))}; test accuracy {acc:P2} on {test.Count} images; {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(acc >= 0.72, $"test accuracy {acc:P2} below the 72% floor (78% expected)");
    }
}
