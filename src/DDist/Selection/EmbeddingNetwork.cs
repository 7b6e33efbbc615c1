using System.Diagnostics;
using System.Globalization;
using DDist.Data;
using DDist.Models;
using DDist.Torch;
using DDist.Torch.IO;
using DDist.Training;

namespace DDist.Selection;

/// <summary>How the network whose features herding, k-center and the coverage metric use is trained: the recipe's
/// <see cref="EmbeddingSettings"/> plus the seed.</summary>
public sealed record EmbeddingOptions : EmbeddingSettings
{
    public EmbeddingOptions() { }

    /// <summary>A recipe's settings (the comparison's <c>coreset</c> section), copied whole.</summary>
    public EmbeddingOptions(EmbeddingSettings settings) : base(settings) { }

    public int Seed { get; init; }

    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Model}, {Epochs} epochs, lr {Lr}, momentum {Momentum}{(Nesterov ? " (Nesterov)" : "")}, wd {WeightDecay}, batch {BatchSize}, seed {Seed}");
}

/// <summary>A network trained on the full training set, used for its penultimate features (the input of the last
/// Linear layer, recorded in eval mode as DeepCore's EmbeddingRecorder does). Kept on disk (<see cref="Save"/>) so that
/// the processes of a split run (herding, k-center and coverage tasks) read one network instead of each training its own;
/// its training checkpoints every epoch, so an interrupted one resumes (DeepCore trains a ResNet-18 for tens of epochs).</summary>
public sealed class EmbeddingNetwork : IDisposable
{
    private const string Format = "ddist.embedding.v1";
    private readonly TrainingState _state;

    public INetwork Network { get; }
    public EmbeddingOptions Options { get; }
    public double TrainAccuracy { get; }
    /// <summary>What training took, in all the processes that trained it.</summary>
    public double Seconds { get; }
    /// <summary>The data it was trained on (<see cref="DataOf"/>): features of another dataset's network mean nothing.</summary>
    public string Data { get; }

    private EmbeddingNetwork(INetwork network, TrainingState state, EmbeddingOptions options, double accuracy, double seconds, string data)
    {
        Network = network; _state = state; Options = options; TrainAccuracy = accuracy; Seconds = seconds; Data = data;
    }

    /// <summary>The training set as a kept network and its checkpoint record it: name, size and image shape.</summary>
    public static string DataOf(ImageDataset train) => $"{train.Name}, {train.Count} images of {train.Channels}×{train.Height}×{train.Width}";

    /// <param name="checkpointPath">When given, the training is checkpointed there after every epoch and resumed from it
    /// (bit for bit); the caller deletes it once the network is kept.</param>
    public static EmbeddingNetwork Train(ImageDataset train, EmbeddingOptions o, IProgress<ProgressReport>? progress = null, CancellationToken ct = default,
                                         string? checkpointPath = null)
    {
        var net = ModelZoo.Create(o.Model, train.Channels, train.NumClasses, train.Height, train.Width);
        var options = new TrainOptions
        {
            Epochs = o.Epochs, BatchSize = o.BatchSize, LearningRate = o.Lr, Momentum = o.Momentum, WeightDecay = o.WeightDecay, Nesterov = o.Nesterov,
            Stage = "embedding network",
        };
        Tensors.ManualSeed(SeedSequence.Derive((ulong)o.Seed, "coreset-embedding", 0));
        var state = TrainingState.Create(net, options, train.Images.Device);
        try
        {
            var checkpoint = checkpointPath is null ? null
                : new TrainingCheckpoint(checkpointPath, $"{o}; {DataOf(train)}");
            double before = 0, accuracy = double.NaN;
            if (checkpoint is { Exists: true })
                before = checkpoint.Restore(state, file => accuracy = file.MetadataNumber("train_accuracy") ?? double.NaN);
            var clock = Stopwatch.StartNew();
            var trainer = new Trainer(net, options);
            var data = TrainingSet.From(train);
            while (state.NextEpoch < options.Epochs)
            {
                accuracy = trainer.RunEpoch(state, data, progress, ct).Accuracy;
                checkpoint?.Save(state, before + clock.Elapsed.TotalSeconds,
                                 metadata: new Dictionary<string, string> { ["train_accuracy"] = accuracy.ToString("R", CultureInfo.InvariantCulture) });
            }
            return new EmbeddingNetwork(net, state, o, accuracy, before + clock.Elapsed.TotalSeconds, DataOf(train));
        }
        catch
        {
            state.Dispose();
            throw;
        }
    }

    /// <summary>Where <see cref="LoadOrTrain"/> checkpoints the network it trains for <paramref name="path"/>.</summary>
    public static string CheckpointFile(string path) => path + ".checkpoint";

    /// <summary>The network kept at <paramref name="path"/>: read back when the file is there (refused, naming the field,
    /// when trained otherwise), else trained — checkpointed every epoch beside it (PATH.checkpoint), so an interrupted
    /// training resumes — and kept there. <paramref name="trained"/> says which.</summary>
    public static EmbeddingNetwork LoadOrTrain(string path, ImageDataset train, EmbeddingOptions o, out bool trained,
                                               IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        var checkpoint = CheckpointFile(path);
        trained = !File.Exists(path);
        if (!trained)
        {
            // An interruption between keeping the network and dropping its checkpoint leaves the checkpoint behind.
            File.Delete(checkpoint);
            return Load(path, train, o);
        }
        var net = Train(train, o, progress, ct, checkpoint);
        try { net.Save(path); }
        catch { net.Dispose(); throw; }
        File.Delete(checkpoint);
        return net;
    }

    /// <summary>Writes the trained weights and BN running statistics (safetensors: <c>params</c>, <c>bn.I.mean</c>,
    /// <c>bn.I.var</c>) with the options, the training accuracy and <see cref="Seconds"/> as metadata, atomically.</summary>
    public void Save(string path)
    {
        using var scope = new TensorScope();
        SafeTensors.Save(path, TrainingCheckpoint.StateTensors(_state, parameters: true, momentum: false), new Dictionary<string, string>
        {
            ["format"] = Format, ["options"] = Options.ToString(), ["model"] = Options.Model, ["data"] = Data,
            ["train_accuracy"] = TrainAccuracy.ToString("R", CultureInfo.InvariantCulture),
            ["seconds"] = Seconds.ToString("R", CultureInfo.InvariantCulture),
        });
    }

    /// <summary>Reads a network <see cref="Save"/> wrote, onto <paramref name="train"/>'s device. Throws, naming the file
    /// and field, when it was trained with other options, on other data or for another input shape (a file written
    /// before the data was recorded is checked by its shape alone).</summary>
    public static EmbeddingNetwork Load(string path, ImageDataset train, EmbeddingOptions expected)
    {
        using var file = SafeTensorsFile.Open(path);
        string Meta(string key) => file.RequiredMetadata(key, $"a DDist embedding network ({Format})");
        if (Meta("format") != Format)
            throw new InvalidDataException($"{path}: metadata field 'format' is '{Meta("format")}', expected '{Format}'");
        if (Meta("options") != expected.ToString())
            throw new InvalidDataException($"{path}: metadata field 'options' is '{Meta("options")}', this run trains '{expected}'; " +
                                           "delete the file to train it again");
        if (file.Metadata.TryGetValue("data", out var data) && data != DataOf(train))
            throw new InvalidDataException($"{path}: metadata field 'data' is '{data}', this run's training set is '{DataOf(train)}'; " +
                                           "use another file, or delete it to train it again");

        var net = ModelZoo.Create(expected.Model, train.Channels, train.NumClasses, train.Height, train.Width);
        var device = train.Images.Device;
        // Zeros, not InitParameters: reading a kept network must not draw from the generator the methods after it use.
        var state = new TrainingState(Tensors.Zeros([net.ParameterCount], DType.Float32, device), net.CreateState(device),
                                      new Sgd(expected.Momentum, expected.WeightDecay, expected.Nesterov));
        try
        {
            using var scope = new TensorScope();
            using var noGrad = Tensors.NoGrad();
            TrainingCheckpoint.LoadState(state, file, parameters: true, $"{expected.Model} on {train.Channels}×{train.Height}×{train.Width} images");
            double accuracy = file.MetadataNumber("train_accuracy") ?? throw new InvalidDataException($"{path}: metadata field 'train_accuracy' missing");
            return new EmbeddingNetwork(net, state, expected, accuracy, file.MetadataNumber("seconds") ?? double.NaN, DataOf(train));
        }
        catch
        {
            state.Dispose();
            throw;
        }
    }
    /// <summary>Penultimate features (N, D) of <paramref name="images"/>, eval mode, float32 on the CPU.</summary>
    public Tensor Embed(Tensor images, int batch = 512)
    {
        using var scope = new TensorScope();
        using var noGrad = Tensors.NoGrad();
        var parts = new List<Tensor>();
        long n = images.Size(0);
        for (long i = 0; i < n; i += batch)
        {
            long len = Math.Min(batch, n - i);
            var x = images.Narrow(0, i, len).To(_state.Parameters.Device);
            parts.Add(Network.Embed(x, _state.Parameters, _state.NetState, training: false).To(DType.Float32, Device.Cpu));
        }
        return Tensors.Cat(parts).DetachFromScope();
    }

    public void Dispose() => _state.Dispose();
}
