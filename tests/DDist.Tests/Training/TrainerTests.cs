using DDist.Torch;
using DDist.Training;

namespace DDist.Tests.Training;

[Collection(SerialRngCollection.Name)]
public class TrainerTests
{
    private static TrainOptions Options(int epochs = 5, int batch = 32, BatchAugmenter? augment = null) => new()
    {
        Epochs = epochs, BatchSize = batch, LearningRate = 0.05, Momentum = 0.9, WeightDecay = 5e-4, Augment = augment,
    };

    private static float[] TrainOnce(ulong seed, bool batchNorm)
    {
        using var data = SyntheticData.Blobs(200, 4, seed: 1);
        var net = new TinyNetwork(36, 16, 4, batchNorm);
        Tensors.ManualSeed(seed);
        var options = Options(epochs: 2);
        using var state = TrainingState.Create(net, options);
        new Trainer(net, options).Train(state, TrainingSet.From(data));
        return state.Parameters.ToArray<float>();
    }

    [Fact]
    public void LearnsSeparableBlobsAndLossFalls()
    {
        using var train = SyntheticData.Blobs(400, 4, seed: 1);
        using var test = SyntheticData.Blobs(200, 4, seed: 1, name: "test");   // same class means, fresh noise below
        var net = new TinyNetwork(36, 16, 4, batchNorm: true);
        Tensors.ManualSeed(5);
        var options = Options();
        using var state = TrainingState.Create(net, options);
        double before = Trainer.Accuracy(net, state.Parameters, state.NetState, test);
        var history = new Trainer(net, options).Train(state, TrainingSet.From(train));
        Assert.Equal(5, history.Count);
        Assert.True(history[^1].Loss < history[0].Loss, $"loss {history[0].Loss} → {history[^1].Loss}");
        double after = Trainer.Accuracy(net, state.Parameters, state.NetState, test);
        Assert.True(after > 0.9 && after > before + 0.3, $"accuracy {before} → {after}");
    }

    [Fact]
    public void SameSeedGivesIdenticalParametersAndOtherSeedsDiffer()
    {
        var a = TrainOnce(11, batchNorm: true);
        var b = TrainOnce(11, batchNorm: true);
        var c = TrainOnce(12, batchNorm: true);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void KeepsTheLastPartialBatchAndPassesDistilledFlags()
    {
        using var data = SyntheticData.Blobs(10, 2, seed: 3);
        using var flags = Tensors.FromArray(new[] { true, true, true, false, false, false, false, false, false, false });
        var sizes = new List<long>();
        long distilledSeen = 0;
        BatchAugmenter record = (x, distilled) =>
        {
            sizes.Add(x.Size(0));
            distilledSeen += distilled!.Sum().ItemLong();
            return x;
        };
        var net = new TinyNetwork(36, 4, 2, batchNorm: false);
        var options = Options(epochs: 1, batch: 4, augment: record);
        using var state = TrainingState.Create(net, options);
        new Trainer(net, options).Train(state, new TrainingSet(data.Images, data.Labels, flags));
        Assert.Equal([4, 4, 2], sizes);
        Assert.Equal(3, distilledSeen);
    }

    [Fact]
    public void StepScheduleRebuildsOptimiserBeforeDecayedEpochs()
    {
        using var data = SyntheticData.Blobs(64, 2, seed: 3);
        var net = new TinyNetwork(36, 4, 2, batchNorm: false);
        var options = Options(epochs: 4, batch: 64) with { Schedule = LrSchedule.StepAfterHalf(3) };   // decay after epoch 2
        using var state = TrainingState.Create(net, options);
        var trainer = new Trainer(net, options);
        var lrs = new List<double>();
        for (int e = 0; e < 4; e++)
        {
            lrs.Add(trainer.RunEpoch(state, TrainingSet.From(data)).LearningRate);
            if (e == 2) Assert.NotNull(state.Optimizer.MomentumBuffer);
        }
        Assert.Equal([0.05, 0.05, 0.05, 0.005], lrs.Select(v => Math.Round(v, 12)));
    }

    [Fact]
    public void StepsFreeTheirTensors()
    {
        using var data = SyntheticData.Blobs(100, 4, seed: 2);
        var net = new TinyNetwork(36, 8, 4, batchNorm: true);
        var options = Options(epochs: 1, batch: 10);
        using var state = TrainingState.Create(net, options);
        var trainer = new Trainer(net, options with { Epochs = 3 });
        trainer.RunEpoch(state, TrainingSet.From(data));     // creates the momentum buffer
        long live = LiveTensors.Settled();
        trainer.RunEpoch(state, TrainingSet.From(data));
        trainer.RunEpoch(state, TrainingSet.From(data));
        Assert.Equal(live, Tensor.LiveCount);
    }

    [Fact]
    public void ProgressReportsStepsLossAccuracyAndRate()
    {
        using var data = SyntheticData.Blobs(50, 2, seed: 4);
        var net = new TinyNetwork(36, 4, 2, batchNorm: false);
        var options = Options(epochs: 2, batch: 10) with { Stage = "unit" };
        using var state = TrainingState.Create(net, options);
        var reports = new List<ProgressReport>();
        new Trainer(net, options).Train(state, TrainingSet.From(data), new SyncProgress<ProgressReport>(reports.Add));
        var last = reports[^1];
        Assert.Equal(("unit", 10L, 10L), (last.Stage, last.Done, last.Total));
        Assert.All(new[] { "loss", "acc", "img/s", "epoch", "lr" }, k => Assert.True(last.Metrics!.ContainsKey(k), k));
        Assert.Equal(2, last.Metrics!["epoch"]);
    }

    [Fact]
    public void AccuracyUsesEvalModeAndRunningStatistics()
    {
        using var data = SyntheticData.Blobs(30, 3, seed: 6);
        var net = new TinyNetwork(36, 5, 3, batchNorm: true);
        Tensors.ManualSeed(1);
        using var p = net.InitParameters();
        using var state = net.CreateState();
        double expected;
        using (var scope = new TensorScope())
        using (Tensors.NoGrad())
        {
            var logits = net.Forward(data.Images, p, state, training: false);
            expected = logits.ArgMax(1).Eq(data.Labels).Sum().Item() / 30.0;
        }
        Assert.Equal(expected, Trainer.Accuracy(net, p, state, data, batchSize: 7), 12);
        Assert.Equal(0.0, state.Buffers[0].Mean.Abs().Sum().Item());   // eval mode left the running mean alone
    }
}

/// <summary>IProgress that calls back on the reporting thread (Progress&lt;T&gt; would post asynchronously).</summary>
internal sealed class SyncProgress<T>(Action<T> onReport) : IProgress<T>
{
    public void Report(T value) => onReport(value);
}
