using DDist.Augment;
using DDist.Torch;

namespace DDist.Tests.Augment;

public class DsaGradientTests
{
    [Theory]
    [InlineData("color", true)]
    [InlineData("crop", true)]
    [InlineData("cutout", true)]
    [InlineData("flip", true)]
    [InlineData("scale", true)]
    [InlineData("rotate", true)]
    [InlineData("scale", false)]
    [InlineData("rotate", false)]
    public void EachFamilyIsDifferentiableInTheImages(string family, bool alignCorners)
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(21);
        var p = DsaParams.Default with { AlignCorners = alignCorners };
        using var draw = Dsa.Draw(family, batch: 3, height: 8, width: 8, p, siamese: false);
        Assert.Equal(family, draw.Families.Single().ToString().ToLowerInvariant());
        var x = Tensors.Randn([3, 3, 8, 8], DType.Float64);
        var weights = Tensors.Randn([3, 3, 8, 8], DType.Float64);
        FiniteDifference.AssertGradientMatches(img => (draw.Apply(img) * weights).Sum(), x, samples: 80);
    }

    [Fact]
    public void FullStrategyInModeMIsDifferentiable()
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(22);
        using var draw = Dsa.Draw(DsaStrategies.Default, 2, 8, 8, DsaParams.Default with { Mode = DsaMode.Multiple }, siamese: true);
        Assert.Equal(new[] { DsaFamily.Color, DsaFamily.Crop, DsaFamily.Cutout, DsaFamily.Flip, DsaFamily.Scale, DsaFamily.Rotate }, draw.Families);
        var x = Tensors.Randn([2, 3, 8, 8], DType.Float64);
        var weights = Tensors.Randn([2, 3, 8, 8], DType.Float64);
        FiniteDifference.AssertGradientMatches(img => (draw.Apply(img) * weights).Sum(), x, samples: 80);
    }
}
