using System.Diagnostics;
using System.Globalization;
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

/// <summary>Computes forgetting scores (or, from the same runs, learning-speed scores) by training networks and feeding a
/// <see cref="ForgettingRecorder"/> per mini-batch with the pre-step predictions (train mode, as the official code).</summary>
/// <param name="createNetwork">A fresh network description (e.g. () => ModelZoo.Create(...)); parameters are initialised per run.</param>
/// <param name="augment">Optional per-batch augmentation of the training images (null: none, as Toneva's MNIST setup).</param>
public sealed class ForgettingScoreTrainer(Func<INetwork> createNetwork, ImageDataset train, Func<Tensor, Tensor>? augment = null)
{
    /// <param name="runDir">When given, each finished run is kept there (run-R.safetensors) and read back instead of
    /// retrained, and the run in training is checkpointed there every epoch (run-R.checkpoint.safetensors), so an
    /// interrupted computation resumes and the runs can be trained by separate processes.</param>
    /// <param name="kind">What the runs are combined into: forgetting counts (Toneva et al.) or learning speed, the
    /// mean true-label confidence (Jiang et al. 2021); the same runs serve both.</param>
    public DifficultyScores Run(ForgettingOptions options, IProgress<ProgressReport>? progress = null, CancellationToken ct = default, string? runDir = null,
                                ScoreKind kind = ScoreKind.Forgetting)
    {
        if (!kind.IsComputed()) throw new ArgumentException($"{kind.FileName()} scores are imported, not computed from training runs", nameof(kind));
        var runs = new List<ForgettingRun>();
        for (int r = 0; r < options.Runs; r++)
            runs.Add(TrainOrLoad(r, options, runDir, progress, ct));
        using var labelsCpu = train.Labels.To(DType.Int64, Device.Cpu);
        var training = $"{options.Runs} runs × {options.Epochs} epochs, {createNetwork().Name}, batch {options.BatchSize}, lr {options.Lr}{(options.Nesterov ? " (Nesterov)" : "")}, seed {options.Seed}";
        var scores = kind == ScoreKind.LearningSpeed
            ? LearningSpeedScores.Combine(runs, train.Name, $"learning speed (mean true-label confidence): {training}", labelsCpu.ToArray<long>(),
                                          r => runDir is null ? $"training run {r}" : RunFile(runDir, r))
            : ForgettingScores.Combine(runs, train.Name,
                                       $"forgetting: {training}" + (options.NeverLearnedRule == NeverLearnedRule.Zero ? ", never-learned examples scored 0 (DeepCore)" : ""),
                                       labelsCpu.ToArray<long>(), options.NeverLearnedRule);
        return runs.All(r => r.Seconds is not null) ? scores with { Seconds = runs.Sum(r => r.Seconds!.Value) } : scores;
    }

    public static string RunFile(string runDir, int run) => Path.Combine(runDir, $"run-{run}.safetensors");

    public static string CheckpointFile(string runDir, int run) => Path.Combine(runDir, $"run-{run}.checkpoint.safetensors");

    /// <summary>Run <paramref name="run"/>: read from <paramref name="runDir"/> when an earlier process finished it, otherwise
    /// trained (run r depends only on Seed + r; resumed from its checkpoint when one is there) and, with a
    /// <paramref name="runDir"/>, kept there.</summary>
    public ForgettingRun TrainOrLoad(int run, ForgettingOptions options, string? runDir, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        if (options.Runs < 1 || options.Epochs < 1 || options.BatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"Runs, Epochs and BatchSize must be at least 1, got {options.Runs}, {options.Epochs}, {options.BatchSize}");
        if (run < 0 || run >= options.Runs) throw new ArgumentOutOfRangeException(nameof(run), run, $"runs are 0..{options.Runs - 1}");
        if (runDir is null) return TrainOne(run, options, null, progress, ct);
        var path = RunFile(runDir, run);
        if (File.Exists(path))
        {
            // An interruption between keeping the run and dropping its checkpoint leaves the checkpoint behind.
            File.Delete(CheckpointFile(runDir, run));
            return LoadRun(path, options);
        }
        Directory.CreateDirectory(runDir);
        var checkpoint = new TrainingCheckpoint(CheckpointFile(runDir, run), Settings(run, options));
        var result = TrainOne(run, options, checkpoint, progress, ct);
        using (new TensorScope())
        {
            var tensors = new Dictionary<string, Tensor>
            {
                ["counts"] = Tensors.FromArray(result.Counts), ["mean_loss"] = Tensors.FromArray(result.MeanLoss),
                ["never_learned"] = Tensors.FromArray(result.NeverLearned.Select(b => (byte)(b ? 1 : 0)).ToArray()),
            };
            // Missing only when the run resumed from a checkpoint written before the confidence was kept.
            if (result.MeanConfidence is { } confidence) tensors["mean_confidence"] = Tensors.FromArray(confidence);
            SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["seconds"] = result.Seconds!.Value.ToString("R", CultureInfo.InvariantCulture) });
        }
        checkpoint.Delete();
        return result;
    }

    private ForgettingRun LoadRun(string path, ForgettingOptions options)
    {
        using var file = SafeTensorsFile.Open(path);
        using var counts = file.ReadRequired("counts");
        using var loss = file.ReadRequired("mean_loss");
        if (counts.NumEl != train.Count || loss.NumEl != train.Count)
            throw new InvalidDataException($"{path}: holds {counts.NumEl} examples, the training set has {train.Count}");
        var c = counts.ToArray<int>();
        using var never = file.Contains("never_learned") ? file.Read("never_learned") : null;
        // Run files from before the flag was kept: every example is presented once per epoch, and a learned one
        // is forgotten at most epochs / 2 times, so a count equal to the epochs means never learned.
        var neverLearned = never is not null ? never.ToArray<byte>().Select(b => b != 0).ToArray() : c.Select(k => k == options.Epochs).ToArray();
        // Run files from before the learning speed was kept have no confidence: fine for forgetting scores, refused
        // (naming the file) when learning-speed scores are combined from them.
        using var confidence = file.Contains("mean_confidence") ? file.Read("mean_confidence") : null;
        if (confidence is not null && confidence.NumEl != train.Count)
            throw new InvalidDataException($"{path}: tensor 'mean_confidence' holds {confidence.NumEl} examples, the training set has {train.Count}");
        return new ForgettingRun(c, loss.ToArray<double>(), neverLearned, file.MetadataNumber("seconds"), confidence?.ToArray<double>());
    }

    /// <summary>What run <paramref name="run"/> depends on, for its checkpoint (the augmentation, code, is not in it).</summary>
    private string Settings(int run, ForgettingOptions o) => string.Create(CultureInfo.InvariantCulture,
        $"forgetting run {run} of {o.Runs}: {createNetwork().Name}, {o.Epochs} epochs, batch {o.BatchSize}, lr {o.Lr:R}, momentum {o.Momentum:R}, " +
        $"wd {o.WeightDecay:R}{(o.Nesterov ? " (Nesterov)" : "")}, seed {o.Seed}; {train.Name}, {train.Count} images of {train.Channels}×{train.Height}×{train.Width}");

    private ForgettingRun TrainOne(int run, ForgettingOptions o, TrainingCheckpoint? checkpoint, IProgress<ProgressReport>? progress, CancellationToken ct)
    {
        Tensors.ManualSeed((ulong)(o.Seed + run));
        var net = createNetwork();
        var device = train.Images.Device;
        using var state = new TrainingState(net.InitParameters(device), net.CreateState(device), new Sgd(o.Momentum, o.WeightDecay, o.Nesterov));
        var recorder = new ForgettingRecorder(train.Count);
        double before = checkpoint is { Exists: true } ? checkpoint.Restore(state, recorder.LoadState) : 0;
        var clock = Stopwatch.StartNew();
        while (state.NextEpoch < o.Epochs)
        {
            RunEpoch(net, state, recorder, o, ct);
            state.NextEpoch++;
            checkpoint?.Save(state, before + clock.Elapsed.TotalSeconds, recorder.StateTensors());
            progress?.Report(new ProgressReport($"forgetting run {run + 1}/{o.Runs}", state.NextEpoch, o.Epochs));
        }
        return recorder.ToRun(before + clock.Elapsed.TotalSeconds);
    }

    /// <summary>One epoch of shuffled mini-batches, each recorded with its pre-step predictions, then stepped.</summary>
    private void RunEpoch(INetwork net, TrainingState state, ForgettingRecorder recorder, ForgettingOptions o, CancellationToken ct)
    {
        int n = train.Count, batches = (n + o.BatchSize - 1) / o.BatchSize;
        using var perm = Tensors.RandPerm(n, DType.Int64, train.Images.Device).DetachFromScope();
        long[] host;
        using (var order = perm.To(Device.Cpu).DetachFromScope()) host = order.ToArray<long>();
        for (int b = 0; b < batches; b++)
        {
            ct.ThrowIfCancellationRequested();
            using var scope = new TensorScope();
            int start = b * o.BatchSize, len = Math.Min(o.BatchSize, n - start);
            var idx = perm.Narrow(0, start, len);
            var x = train.Images.IndexSelect(0, idx);
            var y = train.Labels.IndexSelect(0, idx);
            if (augment is not null) x = augment(x);
            var logits = net.Forward(x, state.Parameters, state.NetState, training: true);
            recorder.Record(host.AsSpan(start, len), logits, y);
            var loss = Functional.CrossEntropy(logits, y);
            var grad = Autograd.Grad(loss, state.Parameters);
            state.Optimizer.Step(state.Parameters, grad, o.Lr);
        }
    }
}
