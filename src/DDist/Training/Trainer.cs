using System.Diagnostics;
using DDist.Data;
using DDist.Models;
using DDist.Torch;

namespace DDist.Training;

/// <summary>Trains one network with SGD (or GSAM over SGD, <see cref="TrainOptions.Sharpness"/>) on shuffled
/// minibatches (the last partial batch kept), the loop the reference repositories share (`epoch('train', ...)`).
/// All randomness — the shuffle, augmentation — comes from libtorch's global generator, so a run replays exactly from <see cref="Tensors.ManualSeed"/>.</summary>
public sealed class Trainer
{
    private static readonly TimeSpan ReportInterval = TimeSpan.FromMilliseconds(200);

    public INetwork Network { get; }
    public TrainOptions Options { get; }

    public Trainer(INetwork network, TrainOptions options)
    {
        options.Validate();
        Network = network;
        Options = options;
    }

    /// <summary>Runs the epochs from <see cref="TrainingState.NextEpoch"/> up to <see cref="TrainOptions.Epochs"/>.</summary>
    public IReadOnlyList<EpochStats> Train(TrainingState state, TrainingSet data, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        var history = new List<EpochStats>();
        while (state.NextEpoch < Options.Epochs) history.Add(RunEpoch(state, data, progress, ct));
        return history;
    }

    /// <summary>Runs epoch <see cref="TrainingState.NextEpoch"/> and advances it. When cancelled mid-epoch the
    /// state holds a half-trained epoch: discard it (or resume from a checkpoint).</summary>
    public EpochStats RunEpoch(TrainingState state, TrainingSet data, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        int epoch = state.NextEpoch;
        if (epoch >= Options.Epochs) throw new InvalidOperationException($"all {Options.Epochs} epochs already ran");
        if (data.Count == 0) throw new ArgumentException("the training set is empty", nameof(data));
        if (Options.Schedule.ResetsOptimizerBefore(epoch)) state.Optimizer.Reset();
        double lr = Options.Schedule.LearningRate(epoch, Options.LearningRate);

        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        int n = data.Count, batch = Options.BatchSize, steps = (n + batch - 1) / batch;
        double lossSum = 0;
        long correct = 0, seen = 0;
        using (new TensorScope())
        {
            using var perm = Tensors.RandPerm(n).To(data.Images.Device);
            for (int s = 0; s < steps; s++)
            {
                ct.ThrowIfCancellationRequested();
                int len = Math.Min(batch, n - s * batch);
                using var scope = new TensorScope();
                var (loss, hits) = Step(state, data, perm.Narrow(0, (long)s * batch, len), lr);
                lossSum += loss * len;
                correct += hits;
                seen += len;
                if (progress is not null && (s == steps - 1 || clock.Elapsed - lastReport >= ReportInterval))
                {
                    lastReport = clock.Elapsed;
                    progress.Report(new ProgressReport(Options.Stage, (long)epoch * steps + s + 1, (long)Options.Epochs * steps,
                        new Dictionary<string, double>
                        {
                            ["loss"] = lossSum / seen, ["acc"] = (double)correct / seen,
                            ["img/s"] = seen / Math.Max(clock.Elapsed.TotalSeconds, 1e-9),
                            ["epoch"] = epoch + 1, ["lr"] = lr,
                        }));
                }
            }
        }
        state.NextEpoch = epoch + 1;
        return new EpochStats(epoch, lossSum / seen, (double)correct / seen, lr, clock.Elapsed);
    }

    /// <summary>One optimiser step on the minibatch <paramref name="index"/>; returns its mean loss and correct count.</summary>
    private (double Loss, long Correct) Step(TrainingState state, TrainingSet data, Tensor index, double lr)
    {
        var device = state.Parameters.Device;
        var x = data.Images.IndexSelect(0, index).To(device);
        var y = data.Labels.IndexSelect(0, index).To(device);
        if (Options.Augment is { } augment)
            x = augment(x, data.Distilled?.IndexSelect(0, index).To(device));
        var targets = data.Targets is null ? y : data.Targets.IndexSelect(0, index).To(device);
        var logits = Network.Forward(x, state.Parameters, state.NetState, training: true);
        // With soft targets libtorch's cross-entropy takes class probabilities: −Σ_k p_k log softmax(z)_k, batch mean.
        var loss = Functional.CrossEntropy(logits, targets);
        var grad = Autograd.Grad(loss, state.Parameters);
        // GSAM's second pass sees the same augmented batch and, as the gsam package's disable_running_stats, leaves
        // batch norm's running statistics alone (no NetState: batch statistics only).
        if (Options.Sharpness is { } sam)
            grad = sam.Direction(state.Parameters, grad, () => Functional.CrossEntropy(Network.Forward(x, state.Parameters, null, training: true), targets));
        state.Optimizer.Step(state.Parameters, grad, lr);
        using var noGrad = Tensors.NoGrad();
        return (loss.Item(), logits.ArgMax(1).Eq(y).Sum().ItemLong());
    }

    /// <summary>Top-1 accuracy in eval mode (batch norm uses running statistics), without gradients,
    /// over the whole dataset in order.</summary>
    public static double Accuracy(INetwork network, Tensor parameters, NetState? state, ImageDataset data, int batchSize = 256) =>
        Accuracy(network, parameters, state, data.Images, data.Labels, batchSize);

    public static double Accuracy(INetwork network, Tensor parameters, NetState? state, Tensor images, Tensor labels, int batchSize = 256)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be ≥ 1");
        long n = images.Size(0), correct = 0;
        if (n == 0) throw new ArgumentException("cannot measure accuracy on an empty set", nameof(images));
        using var noGrad = Tensors.NoGrad();
        var device = parameters.Device;
        for (long start = 0; start < n; start += batchSize)
        {
            using var scope = new TensorScope();
            long len = Math.Min(batchSize, n - start);
            var logits = network.Forward(images.Narrow(0, start, len).To(device), parameters, state, training: false);
            correct += logits.ArgMax(1).Eq(labels.Narrow(0, start, len).To(device)).Sum().ItemLong();
        }
        return (double)correct / n;
    }
}
