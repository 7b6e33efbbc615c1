using DDist.Models;
using DDist.Torch;

namespace DDist.Tests.Models;

public class InitializationTests
{
    [Fact]
    public void ConvAndLinearAreUniformWithinFanInBoundNormsAreOneAndZero()
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(3);
        var net = ModelZoo.Create("ConvNet", 3, 10, 32, 32);
        var flat = net.InitParameters();
        Assert.Equal(DType.Float32, flat.DType);
        Assert.False(flat.RequiresGrad);
        var values = flat.ToArray<float>();
        foreach (var slot in net.Layout)
        {
            var v = values.AsSpan((int)slot.Offset, (int)slot.Count).ToArray();
            bool isNorm = slot.Name.StartsWith("features.1.") || slot.Name.StartsWith("features.5.") || slot.Name.StartsWith("features.9.");
            if (isNorm)
            {
                Assert.All(v, x => Assert.Equal(slot.Name.EndsWith("weight") ? 1f : 0f, x));
                continue;
            }
            // fan_in is every weight dimension but the first; the bias shares its layer's weight bound.
            var weight = net.Layout.First(s => s.Name == slot.Name.Replace(".bias", ".weight"));
            long fanIn = weight.Count / weight.Shape[0];
            double bound = 1 / Math.Sqrt(fanIn);
            Assert.All(v, x => Assert.InRange(x, -bound, bound));
            if (v.Length < 1000) continue;
            double mean = v.Average(x => (double)x);
            double std = Math.Sqrt(v.Average(x => (x - mean) * (x - mean)));
            // U(−b, b) has mean 0 and std b/√3; allow 5 standard errors for the mean and 5% for the std.
            Assert.InRange(mean, -5 * bound / Math.Sqrt(3 * v.Length), 5 * bound / Math.Sqrt(3 * v.Length));
            Assert.InRange(std / (bound / Math.Sqrt(3)), 0.95, 1.05);
            // The draw should reach close to the bound (it is not a narrower distribution).
            Assert.True(v.Max(Math.Abs) > 0.99 * bound, $"{slot.Name}: largest |w| {v.Max(Math.Abs)} vs bound {bound}");
        }
    }

    [Fact]
    public void StateHasOneBufferPairPerBatchNorm()
    {
        using var scope = new TensorScope();
        using var bn = ModelZoo.Create("ConvNetD4BN", 3, 10, 64, 64).CreateState();
        Assert.Equal(4, bn.Buffers.Count);
        Assert.All(bn.Buffers, p =>
        {
            Assert.Equal(0.0, p.Mean.Abs().Sum().Item());
            Assert.Equal(128.0, p.Var.Sum().Item());
        });
        using var none = ModelZoo.Create("ConvNet", 3, 10, 32, 32).CreateState();
        Assert.Empty(none.Buffers);
        Assert.False(ModelZoo.Create("ConvNet", 3, 10, 32, 32).HasBatchNorm);
    }
}
