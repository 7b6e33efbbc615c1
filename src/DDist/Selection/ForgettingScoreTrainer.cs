using DDist.Data;
using DDist.Models;
using DDist.Torch;
using DDist.Training;

namespace DDist.Selection;

/// <summary>Settings of the forgetting-score runs (Toneva et al.): R independent trainings on the full training set
/// with shuffled mini-batches; each run counts its forgetting events, the runs are averaged.</summary>
public sealed record ForgettingOptions
{
    public int Runs { get; init; } = 5;
    public int Epochs { get; init; } = 20;
    public int BatchSize { get; init; } = 128;
    public double Lr { get; init; } = 0.01;
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 5e-4;
    /// <summary>Run r seeds libtorch with Seed + r.</summary>
    public int Seed { get; init; }
}

/// <summary>Computes forgetting scores by training networks and feeding a <see cref="ForgettingRecorder"/> per
/// mini-batch with the pre-step predictions (train mode, as the official code).</summary>
/// <param name="createNetwork">A fresh network description (e.g. () => ModelZoo.Create(...)); parameters are initialised per run.</param>
/// <param name="augment">Optional per-batch augmentation of the training images (null: none, as Toneva's MNIST setup).</param>
public sealed class ForgettingScoreTrainer(Func<INetwork> createNetwork, ImageDataset train, Func<Tensor, Tensor>? augment = null)
{
    public DifficultyScores Run(ForgettingOptions options, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        if (options.Runs < 1 || options.Epochs < 1 || options.BatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"Runs, Epochs and BatchSize must be at least 1, got {options.Runs}, {options.Epochs}, {options.BatchSize}");
        var runs = new List<ForgettingRun>();
        for (int r = 0; r < options.Runs; r++)
            runs.Add(TrainOne(r, options, progress, ct));
        using var labelsCpu = train.Labels.To(DType.Int64, Device.Cpu);
        var source = $"forgetting: {options.Runs} runs × {options.Epochs} epochs, {createNetwork().Name}, batch {options.BatchSize}, lr {options.Lr}, seed {options.Seed}";
        return ForgettingScores.Combine(runs, train.Name, source, labelsCpu.ToArray<long>());
    }

    private ForgettingRun TrainOne(int run, ForgettingOptions o, IProgress<ProgressReport>? progress, CancellationToken ct)
    {
        Tensors.ManualSeed((ulong)(o.Seed + run));
        var net = createNetwork();
        var device = train.Images.Device;
        using var theta = net.InitParameters(device).DetachFromScope().RequiresGrad_();
        using var state = net.CreateState(device);
        using var sgd = new Sgd(o.Momentum, o.WeightDecay);
        var recorder = new ForgettingRecorder(train.Count);
        int n = train.Count, batches = (n + o.BatchSize - 1) / o.BatchSize;
        for (int epoch = 0; epoch < o.Epochs; epoch++)
        {
            using var perm = Tensors.RandPerm(n, DType.Int64, device).DetachFromScope();
            var order = perm.To(Device.Cpu).DetachFromScope();
            var host = order.ToArray<long>();
            order.Dispose();
            for (int b = 0; b < batches; b++)
            {
                ct.ThrowIfCancellationRequested();
                using var scope = new TensorScope();
                int start = b * o.BatchSize, len = Math.Min(o.BatchSize, n - start);
                var idx = perm.Narrow(0, start, len);
                var x = train.Images.IndexSelect(0, idx);
                var y = train.Labels.IndexSelect(0, idx);
                if (augment is not null) x = augment(x);
                var logits = net.Forward(x, theta, state, training: true);
                recorder.Record(host.AsSpan(start, len), logits, y);
                var loss = Functional.CrossEntropy(logits, y);
                var grad = Autograd.Grad(loss, theta);
                sgd.Step(theta, grad, o.Lr);
            }
            progress?.Report(new ProgressReport($"forgetting run {run + 1}/{o.Runs}", epoch + 1, o.Epochs));
        }
        return recorder.ToRun();
    }
}
