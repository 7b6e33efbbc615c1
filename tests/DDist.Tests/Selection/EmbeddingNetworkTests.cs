using DDist.Selection;
using DDist.Tests.Data;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Tests.Selection;

/// <summary>The embedding network of herding, k-center and coverage, kept on disk: read back it gives the same
/// features as the network that was trained, and a file trained otherwise is refused by name.</summary>
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
            trained.Save(path, seconds: 1.5);
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
                Assert.Equal((trained.TrainAccuracy, 1.5), (loaded.TrainAccuracy, kept.MetadataNumber("seconds")));
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
        using (var trained = EmbeddingNetwork.Train(train, Options(epochs: 1))) trained.Save(path, 0.1);

        var other = Assert.Throws<InvalidDataException>(() => EmbeddingNetwork.Load(path, train, Options(epochs: 2)));
        Assert.Contains(path, other.Message);
        Assert.Contains("field 'options'", other.Message);
        Assert.Contains("1 epochs", other.Message);

        using var larger = ToyData.Make(ToyData.Interleaved(4, 2), 2, h: 12, w: 12);
        var shape = Assert.Throws<InvalidDataException>(() => EmbeddingNetwork.Load(path, larger, Options(epochs: 1)));
        Assert.Contains("tensor 'params'", shape.Message);
        Assert.Contains("12×12", shape.Message);

        File.WriteAllText(path, "not a tensor file");
        Assert.Contains(path, Assert.ThrowsAny<Exception>(() => EmbeddingNetwork.Load(path, train, Options(epochs: 1))).Message);
    }
}
