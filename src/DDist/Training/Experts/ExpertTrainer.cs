using System.Globalization;
using DDist.Augment;
using DDist.Data;
using DDist.Models;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Training.Experts;

/// <summary>Trains expert trajectories (MTT/SelMatch `buffer.py`) into a directory: per expert k,
/// expert_kkkk.safetensors holding "epoch_000" … "epoch_E" (flat float32 parameter vectors, 0 = initialisation) and
/// expert_kkkk.json. Expert k starts libtorch's generator from a seed derived from (run seed, k), keeps a checkpoint
/// after every epoch, and an interrupted expert resumes from it producing the same bytes as an uninterrupted run.
/// Finished experts are skipped, so re-running the same command completes a directory.</summary>
public sealed class ExpertTrainer
{
    public INetwork Network { get; }
    public ExpertOptions Options { get; }
    public ExpertDataInfo Data { get; }
    private readonly BatchAugmenter? _augment;

    /// <param name="network">The expert architecture (its Name is recorded as the model).</param>
    public ExpertTrainer(INetwork network, ExpertOptions options, ExpertDataInfo data)
    {
        options.Validate();
        Network = network;
        // The dataset's augmentation rules (no flip for digits) apply here too; the metadata records the strategy used.
        Options = options with { DsaStrategy = AugmentOptions.ForDataset(data.Dataset, dsaStrategy: options.DsaStrategy).DsaStrategy };
        Data = data;
        // Non-Siamese DSA with MTT's parameters (align_corners = true), as buffer.py trains its experts.
        _augment = Augmentation.For(options.Augmentation, AugmentOptions.ForDataset(data.Dataset, DsaParams.Default, options.DsaStrategy));
    }

    public static string ExpertFileName(int index) => $"expert_{index:D4}.safetensors";

    public ExpertConfig ConfigFor(int index) => new()
    {
        Dataset = Data.Dataset, Normalization = Data.Normalization, Zca = Data.Zca, TrainCount = Data.TrainCount,
        ImageShape = [Data.Channels, Data.Height, Data.Width], NumClasses = Data.NumClasses,
        Model = Network.Name, ParameterCount = Network.ParameterCount, Epochs = Options.Epochs,
        LearningRate = Options.LearningRate, Momentum = Options.Momentum, WeightDecay = Options.WeightDecay,
        BatchSize = Options.BatchSize, Augmentation = Augmentation.Name(Options.Augmentation),
        DsaStrategy = Options.Augmentation == AugMode.Dsa ? Options.DsaStrategy : null, Decay = Options.Decay,
        Sharpness = Options.Sharpness,
        RunSeed = Options.Seed, Index = index, Seed = SeedSequence.Derive(Options.Seed, "expert", index),
    };

    /// <summary>Trains every expert of <paramref name="shard"/> that is not finished in <paramref name="directory"/>.
    /// <paramref name="test"/> (may be null) gives the per-epoch test accuracy recorded in the metadata.</summary>
    public ExpertRunSummary Train(string directory, ImageDataset train, ImageDataset? test, ShardSpec shard,
                                  IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        CheckData(train, test);
        System.IO.Directory.CreateDirectory(directory);
        var mine = Enumerable.Range(0, Options.NumExperts).Where(shard.Contains).ToArray();
        var trained = new List<int>();
        var skipped = new List<int>();
        for (int j = 0; j < mine.Length; j++)
        {
            ct.ThrowIfCancellationRequested();
            int k = mine[j];
            if (IsFinished(directory, k))
            {
                // An interruption between keeping the expert and dropping its checkpoint leaves the checkpoint behind.
                DropCheckpoint(directory, k);
                skipped.Add(k);
            }
            else
            {
                RefuseBesideImported(directory, k, Options.NumExperts);
                TrainOne(directory, k, train, test, $"expert {k + 1}/{Options.NumExperts}", progress, ct);
                trained.Add(k);
            }
            progress?.Report(new ProgressReport("experts", j + 1, mine.Length));
        }
        return new ExpertRunSummary(trained, skipped);
    }

    /// <summary>True when expert k's tensor file and metadata both exist; throws if they were made with other settings.</summary>
    public bool IsFinished(string directory, int k)
    {
        var tensors = Path.Combine(directory, ExpertFileName(k));
        var json = Path.ChangeExtension(tensors, ".json");
        if (!File.Exists(tensors) || !File.Exists(json)) return false;
        var existing = ExpertMetadata.Load(json).Config;
        if (existing.Source is { } source)
        {
            // Imported trajectories stand for this run's own experts where matching needs them to agree: network and space.
            if (ExpertMetadata.MatchingDifference(existing, ConfigFor(k)) is { } mismatch)
                throw new InvalidDataException($"{json}: this expert was {source}, for another network or image space than this run's ({mismatch})");
            return true;
        }
        if (ExpertMetadata.FirstDifference(existing, ConfigFor(k)) is { } diff)
            throw new InvalidDataException($"{json}: this expert was trained with other settings ({diff}); train into another directory");
        return true;
    }

    /// <summary>Refuses to train expert k beside imported ones: a folder's experts share one config, and an imported
    /// expert's is the buffer's.</summary>
    private static void RefuseBesideImported(string directory, int k, int wanted)
    {
        var imported = System.IO.Directory.EnumerateFiles(directory, "expert_*.json")
            .Count(json => ExpertMetadata.Load(json).Config.Source is not null);
        if (imported > 0)
            throw new InvalidDataException($"{directory}: holds {imported} imported expert(s) (`ddist import-experts`) but not expert {k} of the {wanted} asked for; " +
                                           $"import {wanted} or ask for {imported} (a recipe's experts.count, `ddist experts --num`)");
    }

    private void TrainOne(string directory, int k, ImageDataset train, ImageDataset? test, string stage,
                          IProgress<ProgressReport>? progress, CancellationToken ct)
    {
        var config = ConfigFor(k);
        var checkpoint = CheckpointOf(directory, k);
        var options = Options.ToTrainOptions(stage, _augment);
        var trainer = new Trainer(Network, options);
        var device = train.Images.Device;

        Tensors.ManualSeed(config.Seed);
        using var state = TrainingState.Create(Network, options, device);
        ExpertHistory history;
        if (checkpoint.Exists) history = checkpoint.Restore(state, config).History;
        else
        {
            history = new ExpertHistory();
            EndEpoch(checkpoint, 0, state, config, history, test);
        }

        var data = TrainingSet.From(train);
        while (state.NextEpoch < Options.Epochs)
        {
            var stats = trainer.RunEpoch(state, data, progress, ct);
            if (!double.IsFinite(stats.Loss))   // a trajectory of NaN would poison every distillation that matches it
                throw new TrainingDivergedException(string.Create(CultureInfo.InvariantCulture,
                    $"{stage}: training diverged in epoch {state.NextEpoch} (mean loss {stats.Loss}); lower the learning rate ({Options.LearningRate}) " +
                    $"or the momentum ({Options.Momentum}); epochs before it are kept in {checkpoint.Directory}"));
            history.TrainLoss.Add(stats.Loss);
            history.TrainAccuracy.Add(stats.Accuracy);
            double testAcc = EndEpoch(checkpoint, state.NextEpoch, state, config, history, test);
            long steps = (train.Count + Options.BatchSize - 1) / Options.BatchSize;
            progress?.Report(new ProgressReport(stage, state.NextEpoch * steps, Options.Epochs * steps, new Dictionary<string, double>
            {
                ["epoch"] = state.NextEpoch, ["loss"] = stats.Loss, ["acc"] = stats.Accuracy, ["test_acc"] = testAcc,
            }));
        }
        Finish(directory, k, checkpoint, config, history);
    }

    /// <summary>Snapshot, test accuracy and checkpoint after <paramref name="epoch"/> epochs. Uses no randomness,
    /// so the generator state it saves is the one the next epoch starts from.</summary>
    private double EndEpoch(ExpertCheckpoint checkpoint, int epoch, TrainingState state, ExpertConfig config, ExpertHistory history, ImageDataset? test)
    {
        using (var scope = new TensorScope())
            checkpoint.SaveSnapshot(epoch, state.Parameters.Detach().To(Device.Cpu).Contiguous());
        double acc = test is null ? double.NaN : Trainer.Accuracy(Network, state.Parameters, state.NetState, test, Options.TestBatchSize);
        if (test is not null) history.TestAccuracy.Add(acc);
        checkpoint.Save(epoch, state, config, history);
        return acc;
    }

    /// <summary>Writes the expert's trajectory file and metadata (each atomically), then drops the checkpoint.</summary>
    private void Finish(string directory, int k, ExpertCheckpoint checkpoint, ExpertConfig config, ExpertHistory history)
    {
        var snapshots = new List<Tensor>();
        try
        {
            for (int e = 0; e <= Options.Epochs; e++) snapshots.Add(checkpoint.LoadSnapshot(e));
            ExpertStore.Keep(directory, k, snapshots, new ExpertMetadata { Config = config, History = history });
        }
        finally
        {
            foreach (var t in snapshots) t.Dispose();
        }
        DropCheckpoint(directory, k);
    }

    /// <summary>Whether expert k is trained and kept: its tensors and metadata are there and its checkpoint is gone (one
    /// still there means it was killed between keeping the expert and dropping the checkpoint, which training it again
    /// only drops).</summary>
    public static bool IsKept(string directory, int k)
    {
        var tensors = Path.Combine(directory, ExpertFileName(k));
        return File.Exists(tensors) && File.Exists(Path.ChangeExtension(tensors, ".json")) && !HasCheckpoint(directory, k);
    }

    /// <summary>True while expert k's checkpoint folder is there: it is being trained, was interrupted, or was kept
    /// and then interrupted before the checkpoint was dropped (<see cref="Train"/> drops it then).</summary>
    public static bool HasCheckpoint(string directory, int k) => System.IO.Directory.Exists(CheckpointOf(directory, k).Directory);

    private static ExpertCheckpoint CheckpointOf(string directory, int k) => new(Path.Combine(directory, ".partial", $"expert_{k:D4}"));

    /// <summary>Deletes expert k's checkpoint folder, and .partial with it once no other expert's is there.</summary>
    private static void DropCheckpoint(string directory, int k)
    {
        CheckpointOf(directory, k).Delete();
        var partial = Path.Combine(directory, ".partial");
        try
        {
            if (System.IO.Directory.Exists(partial) && !System.IO.Directory.EnumerateFileSystemEntries(partial).Any())
                System.IO.Directory.Delete(partial);
        }
        catch (IOException)
        {
            // Another shard started an expert in between; its folder keeps .partial alive.
        }
    }

    private void CheckData(ImageDataset train, ImageDataset? test)
    {
        if (train.Count != Data.TrainCount || train.Channels != Data.Channels || train.Height != Data.Height || train.Width != Data.Width)
            throw new ArgumentException($"training set '{train.Name}' is {train.Count}×{train.Channels}×{train.Height}×{train.Width}, " +
                                        $"the expert data description says {Data.TrainCount}×{Data.Channels}×{Data.Height}×{Data.Width}");
        if (test is not null && (test.Channels != train.Channels || test.Height != train.Height || test.Width != train.Width))
            throw new ArgumentException($"test set '{test.Name}' images are {test.Channels}×{test.Height}×{test.Width}, training images {train.Channels}×{train.Height}×{train.Width}");
    }
}

/// <summary>Which experts one <see cref="ExpertTrainer.Train"/> call trained and which it found finished.</summary>
public sealed record ExpertRunSummary(IReadOnlyList<int> Trained, IReadOnlyList<int> Skipped);
