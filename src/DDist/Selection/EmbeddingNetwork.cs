using DDist.Data;
using DDist.Models;
using DDist.Torch;
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
/// Linear layer, recorded in eval mode as DeepCore's EmbeddingRecorder does).</summary>
public sealed class EmbeddingNetwork : IDisposable
{
    private readonly TrainingState _state;

    public INetwork Network { get; }
    public EmbeddingOptions Options { get; }
    public double TrainAccuracy { get; }

    private EmbeddingNetwork(INetwork network, TrainingState state, EmbeddingOptions options, double accuracy)
    {
        Network = network; _state = state; Options = options; TrainAccuracy = accuracy;
    }

    public static EmbeddingNetwork Train(ImageDataset train, EmbeddingOptions o, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
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
            var history = new Trainer(net, options).Train(state, TrainingSet.From(train), progress, ct);
            return new EmbeddingNetwork(net, state, o, history.Count > 0 ? history[^1].Accuracy : double.NaN);
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
