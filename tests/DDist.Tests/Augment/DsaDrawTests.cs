using DDist.Augment;
using DDist.Torch;

namespace DDist.Tests.Augment;

public class DsaDrawTests
{
    private static readonly string[] Families = ["color", "crop", "cutout", "flip", "scale", "rotate"];
    private static double MaxDiff(Tensor a, Tensor b) => (a - b).Abs().Max().Item();

    [Fact]
    public void OneDrawGivesIdenticalTransformsToTwoBatches()
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(31);
        var real = Tensors.Randn([6, 3, 16, 16]);
        foreach (var family in Families)
        {
            using var draw = Dsa.Draw(family, 6, 16, 16, DsaParams.Default, siamese: true);
            Assert.Equal(0.0, MaxDiff(draw.Apply(real), draw.Apply(real.Clone())));
        }
        // A siamese draw fits batches of any size (the synthetic batch is usually smaller than the real one).
        using var any = Dsa.Draw(DsaStrategies.Default, 256, 16, 16, DsaParams.Default, siamese: true);
        Assert.Equal(new long[] { 2, 3, 16, 16 }, any.Apply(real.Narrow(0, 0, 2)).Shape);
    }

    [Fact]
    public void SiameseDrawSharesParametersAcrossTheBatchNonSiameseDoesNot()
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(32);
        // One image repeated: equal parameters give equal outputs, per-sample parameters (almost surely) do not.
        var same = Tensors.Randn([1, 3, 16, 16]).Expand(8, 3, 16, 16).Contiguous();
        foreach (var family in Families)
        {
            var p = DsaParams.Default with { Mode = DsaMode.Multiple };
            using var shared = Dsa.Draw(family, 8, 16, 16, p, siamese: true);
            var y = shared.Apply(same);
            for (int i = 1; i < 8; i++) Assert.Equal(0.0, MaxDiff(y.Select(0, i), y.Select(0, 0)));

            using var perSample = Dsa.Draw(family, 8, 16, 16, p, siamese: false);
            var z = perSample.Apply(same);
            int distinct = Enumerable.Range(1, 7).Count(i => MaxDiff(z.Select(0, i), z.Select(0, 0)) > 1e-6);
            // Flip has two outcomes; with 8 samples all eight agree with probability 2·0.5^8.
            Assert.True(distinct > 0 || family == "flip", $"{family}: every sample got the same parameters");
        }
    }

    [Fact]
    public void ModeSinglePicksOneFamilyModeMultipleAppliesAll()
    {
        using var scope = new TensorScope();
        var seen = new HashSet<DsaFamily>();
        for (int i = 0; i < 60; i++)
        {
            using var d = Dsa.Draw(DsaStrategies.Default, 2, 8, 8, DsaParams.Default, siamese: false);
            seen.Add(Assert.Single(d.Families));
        }
        Assert.Equal(6, seen.Count); // 60 draws miss a family with probability < 6·(5/6)^60 ≈ 1e-4
        using var all = Dsa.Draw(DsaStrategies.NoFlip, 2, 8, 8, DsaParams.Default with { Mode = DsaMode.Multiple }, siamese: false);
        Assert.Equal(new[] { DsaFamily.Color, DsaFamily.Crop, DsaFamily.Cutout, DsaFamily.Scale, DsaFamily.Rotate }, all.Families);
    }

    [Fact]
    public void NoneStrategyAndBadInputs()
    {
        using var scope = new TensorScope();
        var x = Tensors.Randn([2, 1, 8, 8]);
        Assert.Equal(0.0, MaxDiff(Dsa.Augment(x, "none", DsaParams.Default), x));
        Assert.Equal(0.0, MaxDiff(Dsa.Augment(x, "", DsaParams.Default), x));
        var ex = Assert.Throws<ArgumentException>(() => Dsa.Draw("color_blur", 2, 8, 8, DsaParams.Default, false));
        Assert.Contains("blur", ex.Message);
        using var draw = Dsa.Draw("crop", 2, 8, 8, DsaParams.Default, siamese: false);
        Assert.Throws<ArgumentException>(() => draw.Apply(Tensors.Randn([3, 1, 8, 8])));
        Assert.Throws<ArgumentException>(() => draw.Apply(Tensors.Randn([2, 1, 9, 8])));
    }

    [Fact]
    public void CropDrawsShiftsWithinTheReferenceRange()
    {
        // 28×28: shift up to round(0.125·28) = 4 pixels. A one-hot image's single 1 moves by at most 4 per axis.
        using var scope = new TensorScope();
        var x = Tensors.Zeros([64, 1, 28, 28]);
        using (Tensors.NoGrad()) x.Narrow(2, 14, 1).Narrow(3, 14, 1).Fill(1);
        using var draw = Dsa.Draw("crop", 64, 28, 28, DsaParams.Default, siamese: false);
        var y = draw.Apply(x).View(64, 28 * 28);
        var (_, argmax) = y.Max(1);
        var pos = argmax.ToArray<long>();
        var shifts = pos.Select(q => (Row: q / 28 - 14, Col: q % 28 - 14)).ToArray();
        Assert.All(shifts, s => { Assert.InRange(s.Row, -4, 4); Assert.InRange(s.Col, -4, 4); });
        Assert.True(shifts.Distinct().Count() > 10);
        Assert.Contains(shifts, s => Math.Abs(s.Row) == 4 || Math.Abs(s.Col) == 4);
    }

    [Fact]
    public void StrategiesPerDataset()
    {
        Assert.Equal("color_crop_cutout_flip_scale_rotate", DsaStrategies.Default);
        Assert.Equal(DsaStrategies.NoFlip, DsaStrategies.ForDataset("MNIST"));
        Assert.Equal(DsaStrategies.NoFlip, DsaStrategies.ForDataset("svhn"));
        Assert.Equal(DsaStrategies.Default, DsaStrategies.ForDataset("FashionMNIST"));
        Assert.Equal(DsaStrategies.Default, DsaStrategies.ForDataset("CIFAR10"));
        Assert.DoesNotContain(DsaFamily.Flip, DsaStrategies.Parse(DsaStrategies.NoFlip));
        Assert.True(DsaParams.Default.AlignCorners);
        Assert.False(DsaParams.DatasetCondensation.AlignCorners);
    }
}
