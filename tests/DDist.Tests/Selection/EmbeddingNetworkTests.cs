using DDist.Selection;
using DDist.Tests.Data;
using DDist.Tests.Training;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Tests.Selection;

/// <summary>The embedding network of herding, k-center and coverage, kept on disk: read back it gives the same
/// features as the network that was trained, a file trained otherwise is refused by name, and an interrupted training
/// resumes from its checkpoint to the same network.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class EmbeddingNetworkTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private static EmbeddingOptions Options(int epochs = 2) => new()
    {
        Model = "ConvNet(width=4,depth=1)", Epochs = epochs, Lr = 0.05, Momentum = 0.9, WeightDecay = 5e-4, BatchSize = 8, Seed = 3,
    };

    [Theory]
    [InlineData("ConvNet(width=4,depth=1)")]
    [InlineData("ConvNetBN(width=4,depth=1)")]     // batch norm: the running statistics are kept too
    public void AKeptNetworkGivesTheFeaturesOfTheTrainedOne(string model)
    {
        using var train = ToyData.Make(ToyData.Interleaved(6, 3), 3, h: 8, w: 8);
        var options = Options() with { Model = model };
        var path = _dir.Combine("embedding.safetensors");
        using (var trained = EmbeddingNetwork.Train(train, options))
        {
            trained.Save(path);
            using var expected = trained.Embed(train.Images);
            // Reading it draws nothing from the generator the methods after it use.
            Tensors.ManualSeed(5);
            var loaded = EmbeddingNetwork.Load(path, train, options);
            using (var drawn = Tensors.Randn([4]))
            {
                Tensors.ManualSeed(5);
                using var fresh = Tensors.Randn([4]);
                Assert.Equal(fresh.ToArray<float>(), drawn.ToArray<float>());
            }
            using (loaded)
            {
                using var features = loaded.Embed(train.Images);
                Assert.Equal(expected.ToArray<float>(), features.ToArray<float>());
                using var kept = SafeTensorsFile.Open(path);
                Assert.True(trained.Seconds > 0);
                Assert.Equal((trained.TrainAccuracy, trained.Seconds, trained.Seconds), (loaded.TrainAccuracy, loaded.Seconds, kept.MetadataNumber("seconds")));
            }
        }
        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(model.StartsWith("ConvNetBN"), file.Contains("bn.0.mean"));
    }

    [Fact]
    public void AFileTrainedWithOtherSettingsOrForOtherImagesIsRefusedByName()
    {
        using var train = ToyData.Make(ToyData.Interleaved(4, 2), 2, h: 8, w: 8);
        var path = _dir.Combine("embedding.safetensors");
        using (var trained = EmbeddingNetwork.Train(train, Options(epochs: 1))) trained.Save(path);

        var other = Assert.Throws<InvalidDataException>(() => EmbeddingNetwork.Load(path, train, Options(epochs: 2)));
        Assert.Contains(path, other.Message);
        Assert.Contains("field 'options'", other.Message);
        Assert.Contains("1 epochs", other.Message);

        // Other data — another training set, or other images — is named by the data the network was trained on.
        using var larger = ToyData.Make(ToyData.Interleaved(4, 2), 2, h: 12, w: 12);
        var shape = Assert.Throws<InvalidDataException>(() => EmbeddingNetwork.Load(path, larger, Options(epochs: 1)));
        Assert.Contains("field 'data'", shape.Message);
        Assert.Contains("12×12", shape.Message);
        using var more = ToyData.Make(ToyData.Interleaved(6, 2), 2, h: 8, w: 8);
        var otherSet = Assert.Throws<InvalidDataException>(() => EmbeddingNetwork.Load(path, more, Options(epochs: 1)));
        Assert.Contains($"field 'data' is '{EmbeddingNetwork.DataOf(train)}'", otherSet.Message);
        Assert.Contains(EmbeddingNetwork.DataOf(more), otherSet.Message);

        File.WriteAllText(path, "not a tensor file");
        Assert.Contains(path, Assert.ThrowsAny<Exception>(() => EmbeddingNetwork.Load(path, train, Options(epochs: 1))).Message);
    }

    [Fact]
    public void AnInterruptedTrainingResumesFromItsCheckpointToTheSameNetwork()
    {
        using var train = ToyData.Make(ToyData.Interleaved(6, 3), 3, h: 8, w: 8);
        var options = Options(epochs: 3) with { Model = "ConvNetBN(width=4,depth=1)" };   // momentum and BN statistics resume too
        using var whole = EmbeddingNetwork.Train(train, options);
        using var expected = whole.Embed(train.Images);

        // Cancelled at the last step of the second of three epochs (always reported): the checkpoint holds two epochs and
        // the third stops at its first mini-batch.
        var checkpoint = _dir.Combine("embedding.checkpoint.safetensors");
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress<ProgressReport>(r => { if (r.Done * 3 == r.Total * 2) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => EmbeddingNetwork.Train(train, options, progress, cts.Token, checkpoint));
        using (var file = SafeTensorsFile.Open(checkpoint)) Assert.Equal("2", file.Metadata["epochs_done"]);

        Tensors.ManualSeed(99);   // resuming restores the generator rather than relying on what it was left at
        using var resumed = EmbeddingNetwork.Train(train, options, checkpointPath: checkpoint);
        using var features = resumed.Embed(train.Images);
        Assert.Equal(expected.ToArray<float>(), features.ToArray<float>());
        Assert.Equal(whole.TrainAccuracy, resumed.TrainAccuracy);

        // A checkpoint of another training is refused by name, not resumed into this one.
        var other = Assert.Throws<InvalidDataException>(() => EmbeddingNetwork.Train(train, options with { Lr = 0.01 }, checkpointPath: checkpoint));
        Assert.Contains(checkpoint, other.Message);
        Assert.Contains("other settings", other.Message);
    }
}
