using DDist.Models;
using DDist.Torch;

namespace DDist.Tests.Models;

/// <summary>Reseeds the global generator, so it runs outside the parallel test collections.</summary>
[Collection(SerialRngCollection.Name)]
public class SeededInitialisationTests
{
    [Fact]
    public void SeedReproducesInitialisation()
    {
        using var scope = new TensorScope();
        var net = ModelZoo.Create("ResNet18BN", 3, 10, 32, 32);
        Tensors.ManualSeed(42);
        var a = net.InitParameters();
        Tensors.ManualSeed(42);
        var b = net.InitParameters();
        var c = net.InitParameters();
        Assert.Equal(0.0, (a - b).Abs().Max().Item());
        Assert.True((a - c).Abs().Max().Item() > 0.01);
    }
}
