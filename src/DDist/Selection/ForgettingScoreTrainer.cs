using DDist.Data;
using DDist.Models;
using DDist.Torch;
using DDist.Torch.IO;
using DDist.Training;

namespace DDist.Selection;

/// <summary>Settings of the forgetting-score runs (Toneva et al.): R independent trainings on the full training set
/// with shuffled mini-batches; each run counts its forgetting events, the runs are averaged. The recipe's
/// <see cref="ForgettingSettings"/> plus the run's seed.</summary>
public sealed record ForgettingOptions : ForgettingSettings
{
    public ForgettingOptions() { }

    /// <summary>A recipe's forgetting settings, copied whole.</summary>
    public ForgettingOptions(ForgettingSettings settings) : base(settings) { }

    /// <summary>Run r seeds libtorch with Seed + r.</summary>
    public int Seed { get; init; }
}

/// <summary>Computes forgetting scores by training networks and feeding a <see cref="ForgettingRecorder"/> per
/// mini-batch with the pre-step predictions (train mode, as the official code).</summary>
/// <param name="createNetwork">A fresh network description (e.g. () => ModelZoo.Create(...)); parameters are initialised per run.</param>
/// <param name="augment">Optional per-batch augmentation of the training images (null: none, as Toneva's MNIST setup).</param>
public sealed class ForgettingScoreTrainer(Func<INetwork> createNetwork, ImageDataset train, Func<Tensor, Tensor>? augment = null)
{
    /// <param name="runDir">When given, each finished run is kept there (run-R.safetensors) and read back instead of
    /// retrained, so an interrupted computation resumes and the runs can be trained by separate processes.</param>
    public DifficultyScores Run(ForgettingOptions options, IProgress<ProgressReport>? progress = null, CancellationToken ct = default, string? runDir = null)
    {
        var runs = new List<ForgettingRun>();
        for (int r = 0; r < options.Runs; r++)
            runs.Add(TrainOrLoad(r, options, runDir, progress, ct));
        using var labelsCpu = train.Labels.To(DType.Int64, Device.Cpu);
        var source = $"forgetting: {options.Runs} runs × {options.Epochs} epochs, {createNetwork().Name}, batch {options.BatchSize}, lr {options.Lr}{(options.Nesterov ? " (Nesterov)" : "")}, seed {options.Seed}"
                     + (options.NeverLearnedRule == NeverLearnedRule.Zero ? ", never-learned examples scored 0 (DeepCore)" : "");
        return ForgettingScores.Combine(runs, train.Name, source, labelsCpu.ToArray<long>(), options.NeverLearnedRule);
    }

    public static string RunFile(string runDir, int run) => Path.Combine(runDir, $"run-{run}.safetensors");

    /// <summary>Run <paramref name="run"/>: read from <paramref name="runDir"/> when an earlier process finished it, otherwise
    /// trained (run r depends only on Seed + r) and, with a <paramref name="runDir"/>, kept there.</summary>
    public ForgettingRun TrainOrLoad(int run, ForgettingOptions options, string? runDir, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        if (options.Runs < 1 || options.Epochs < 1 || options.BatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"Runs, Epochs and BatchSize must be at least 1, got {options.Runs}, {options.Epochs}, {options.BatchSize}");
        if (run < 0 || run >= options.Runs) throw new ArgumentOutOfRangeException(nameof(run), run, $"runs are 0..{options.Runs - 1}");
        var path = runDir is null ? null : RunFile(runDir, run);
        if (path is not null && File.Exists(path))
        {
            var (tensors, _) = SafeTensors.Load(path);
            using var counts = tensors.GetValueOrDefault("counts") ?? throw new InvalidDataException($"{path}: tensor 'counts' missing");
            using var loss = tensors.GetValueOrDefault("mean_loss") ?? throw new InvalidDataException($"{path}: tensor 'mean_loss' missing");
            if (counts.NumEl != train.Count || loss.NumEl != train.Count)
                throw new InvalidDataException($"{path}: holds {counts.NumEl} examples, the training set has {train.Count}");
            var c = counts.ToArray<int>();
            using var never = tensors.GetValueOrDefault("never_learned");
            // Run files from before the flag was kept: every example is presented once per epoch, and a learned one
            // is forgotten at most epochs / 2 times, so a count equal to the epochs means never learned.
            var neverLearned = never is not null ? never.ToArray<byte>().Select(b => b != 0).ToArray() : c.Select(k => k == options.Epochs).ToArray();
            return new ForgettingRun(c, loss.ToArray<double>(), neverLearned);
        }
        var result = TrainOne(run, options, progress, ct);
        if (path is not null)
        {
            Directory.CreateDirectory(runDir!);
            using var scope = new TensorScope();
            SafeTensors.Save(path, new Dictionary<string, Tensor>
            {
                ["counts"] = Tensors.FromArray(result.Counts), ["mean_loss"] = Tensors.FromArray(result.MeanLoss),
                ["never_learned"] = Tensors.FromArray(result.NeverLearned.Select(b => (byte)(b ? 1 : 0)).ToArray()),
            });
        }
        return result;
    }

    private ForgettingRun TrainOne(int run, ForgettingOptions o, IProgress<ProgressReport>? progress, CancellationToken ct)
    {
        Tensors.ManualSeed((ulong)(o.Seed + run));
        var net = createNetwork();
        var device = train.Images.Device;
        using var theta = net.InitParameters(device).DetachFromScope().RequiresGrad_();
        using var state = net.CreateState(device);
        using var sgd = new Sgd(o.Momentum, o.WeightDecay, o.Nesterov);
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
