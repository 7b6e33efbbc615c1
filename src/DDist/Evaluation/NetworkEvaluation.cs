using System.Diagnostics;
using DDist.Data;
using DDist.Models;
using DDist.Torch;
using DDist.Training;

namespace DDist.Evaluation;

/// <summary>The loop both evaluators share: N fresh networks trained on a training set and tested on the full
/// test set. Network i starts libtorch's generator from a seed derived from (seed, i), so results do not depend
/// on how many networks ran before. A network whose training loss goes non-finite is counted as diverged
/// (<see cref="EvalResult.Diverged"/>) and tested as it is.</summary>
internal static class NetworkEvaluation
{
    public static EvalResult Run(TrainingSet train, ImageDataset test, EvalProtocol protocol, ulong seed,
                                 IProgress<ProgressReport>? progress, CancellationToken ct)
    {
        // The dataset decides what may be augmented how (no mirrored digits), whoever built the protocol.
        protocol = protocol with { AugmentOptions = protocol.AugmentOptions.WithDatasetRules(test.Name) };
        protocol.Validate();
        var clock = Stopwatch.StartNew();
        var network = ModelZoo.Create(protocol.Model, test.Channels, test.NumClasses, test.Height, test.Width);
        var indices = protocol.OnlyNetwork is int only ? [only] : Enumerable.Range(0, protocol.Networks).ToArray();
        var accuracies = new double[indices.Length];
        int diverged = 0;
        foreach (int i in indices)
        {
            ct.ThrowIfCancellationRequested();
            var options = protocol.ToTrainOptions($"{protocol.Name} net {i + 1}/{protocol.Networks}");
            Tensors.ManualSeed(SeedSequence.Derive(seed, "eval-net", i));
            using var state = TrainingState.Create(network, options, test.Images.Device);
            if (TrainUnlessDiverged(new Trainer(network, options), state, train, progress, ct)) diverged++;
            int slot = Array.IndexOf(indices, i);
            accuracies[slot] = Trainer.Accuracy(network, state.Parameters, state.NetState, test, protocol.TestBatchSize);
            progress?.Report(new ProgressReport($"{protocol.Name} networks", slot + 1, indices.Length,
                new Dictionary<string, double> { ["test_acc"] = accuracies[slot] }));
        }
        return EvalResult.From(accuracies, clock.Elapsed, diverged);
    }

    /// <summary>Trains every epoch; true when an epoch's loss was non-finite. Training stops early once every weight is
    /// non-finite: NaN weights give NaN outputs and gradients, so they stay NaN and the remaining epochs could not change
    /// the test accuracy (an AlexNet at a distilled set's learned step size diverges in its first epochs and would
    /// otherwise train 300 more for nothing).</summary>
    private static bool TrainUnlessDiverged(Trainer trainer, TrainingState state, TrainingSet train, IProgress<ProgressReport>? progress, CancellationToken ct)
    {
        bool diverged = false;
        while (state.NextEpoch < trainer.Options.Epochs)
        {
            if (double.IsFinite(trainer.RunEpoch(state, train, progress, ct).Loss)) continue;
            diverged = true;
            if (!state.Parameters.AnyFinite()) break;
        }
        return diverged;
    }

    /// <summary>Throws unless the training images fit the test set's shape and classes.</summary>
    public static void CheckCompatible(string what, Tensor images, Tensor labels, ImageDataset test)
    {
        var s = images.Shape;
        if (s.Length != 4 || s[1] != test.Channels || s[2] != test.Height || s[3] != test.Width)
            throw new ArgumentException($"{what}: images are [{string.Join(",", s)}], the test set '{test.Name}' has {test.Channels}×{test.Height}×{test.Width} images");
        if (labels.NumEl == 0) throw new ArgumentException($"{what}: no images to train on");
        using var scope = new TensorScope();
        long max = labels.Max().ItemLong(), min = labels.Min().ItemLong();
        if (min < 0 || max >= test.NumClasses)
            throw new ArgumentException($"{what}: labels span {min}..{max}, the test set '{test.Name}' has {test.NumClasses} classes");
    }
}
