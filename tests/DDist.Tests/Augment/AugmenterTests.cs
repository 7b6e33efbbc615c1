using DDist.Augment;
using DDist.Torch;

namespace DDist.Tests.Augment;

public class AugmenterTests
{
    private static double MaxDiff(Tensor a, Tensor b) => (a - b).Abs().Max().Item();

    /// <summary>The shift (dr, dc) and flip for which output sample y equals x shifted with zero fill, or null.</summary>
    private static (int Dr, int Dc, bool Flip)? FindCropAndFlip(float[] x, float[] y, int c, int h, int w)
    {
        for (int dr = -4; dr <= 4; dr++)
            for (int dc = -4; dc <= 4; dc++)
                foreach (var flip in new[] { false, true })
                {
                    bool match = true;
                    for (int k = 0; k < c && match; k++)
                        for (int i = 0; i < h && match; i++)
                            for (int j = 0; j < w && match; j++)
                            {
                                int jj = flip ? w - 1 - j : j; // flip is applied after the crop
                                int si = i + dr, sj = jj + dc;
                                float expected = si >= 0 && si < h && sj >= 0 && sj < w ? x[(k * h + si) * w + sj] : 0f;
                                match = y[(k * h + i) * w + j] == expected;
                            }
                    if (match) return (dr, dc, flip);
                }
        return null;
    }

    private static float[] Sample(Tensor t, int i)
    {
        using var scope = new TensorScope();
        return t.Select(0, i).Contiguous().ToArray<float>();
    }

    [Fact]
    public void SimpleIsAZeroPaddedCropPlusFlipPerSample()
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(41);
        var x = Tensors.Randn([24, 3, 10, 10]);
        var y = SimpleAugment.Apply(x, flip: true);
        var found = Enumerable.Range(0, 24).Select(i => FindCropAndFlip(Sample(x, i), Sample(y, i), 3, 10, 10)).ToArray();
        Assert.All(found, f => Assert.NotNull(f));
        Assert.Contains(found, f => f!.Value.Flip);
        Assert.Contains(found, f => !f!.Value.Flip);
        Assert.True(found.Select(f => (f!.Value.Dr, f.Value.Dc)).Distinct().Count() > 5, "offsets should vary per sample");

        var noFlip = SimpleAugment.Apply(x, flip: false);
        Assert.All(Enumerable.Range(0, 24), i =>
        {
            var f = FindCropAndFlip(Sample(x, i), Sample(noFlip, i), 3, 10, 10);
            Assert.NotNull(f);
            Assert.False(f!.Value.Flip, "flip disabled but a sample was mirrored");
        });
    }

    [Fact]
    public void CombinedWorksOnOneChannelDigitsAndKeepsShape()
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(42);
        var x = Tensors.Randn([10, 1, 28, 28]);
        var options = AugmentOptions.ForDataset("MNIST");
        Assert.False(options.SimpleFlip);
        Assert.Equal(DsaStrategies.NoFlip, options.DsaStrategy);
        var byCount = Augmenter.Apply(x, AugMode.Combined, options, distilledCount: 4);
        Assert.Equal(new long[] { 10, 1, 28, 28 }, byCount.Shape);
        var mask = Tensors.FromArray(new[] { true, false, true, false, false, true, false, false, false, true });
        var byMask = Augmenter.Apply(x, AugMode.Combined, options, mask);
        Assert.Equal(new long[] { 10, 1, 28, 28 }, byMask.Shape);
        // A single image (the reference squeezed it, which breaks 1-channel data) keeps its channel axis too.
        Assert.Equal(new long[] { 1, 1, 28, 28 }, Augmenter.Apply(x.Narrow(0, 0, 1), AugMode.Combined, options, distilledCount: 1).Shape);
        Assert.Equal(new long[] { 10, 1, 28, 28 }, Augmenter.Apply(x, AugMode.Dsa, options).Shape);
    }

    [Fact]
    public void CombinedRoutesMaskedSamplesToDsaAndKeepsOrder()
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(43);
        var x = Tensors.Randn([8, 3, 10, 10]);
        // With DSA strategy "none" the DSA samples come back unchanged, the others are crops of themselves.
        var options = new AugmentOptions { DsaStrategy = "none" };
        var flags = new[] { true, false, false, true, true, false, true, false };
        var y = Augmenter.Apply(x, AugMode.Combined, options, Tensors.FromArray(flags));
        for (int i = 0; i < 8; i++)
        {
            if (flags[i]) Assert.Equal(Sample(x, i), Sample(y, i));
            else Assert.NotNull(FindCropAndFlip(Sample(x, i), Sample(y, i), 3, 10, 10));
        }
        var byCount = Augmenter.Apply(x, AugMode.Combined, options, distilledCount: 3);
        for (int i = 0; i < 3; i++) Assert.Equal(Sample(x, i), Sample(byCount, i));
        Assert.Throws<ArgumentException>(() => Augmenter.Apply(x, AugMode.Combined, options));
        Assert.Throws<ArgumentException>(() => Augmenter.Apply(x, AugMode.Combined, options, Tensors.FromArray(new[] { true })));
    }

    [Fact]
    public void PerSampleDsaIsDifferentiableAndUsesSeveralFamilies()
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(44);
        // One image repeated 30 times: per-sample families and parameters make (almost all) outputs distinct.
        var x = Tensors.Randn([1, 3, 12, 12]).Expand(30, 3, 12, 12).Contiguous().RequiresGrad_();
        var y = Dsa.AugmentPerSample(x, DsaStrategies.Default, DsaParams.Default);
        Assert.Equal(x.Shape, y.Shape);
        var g = Autograd.Grad(y.Sum(), x);
        Assert.True(g.Abs().Sum().Item() > 0);
        int distinct = Enumerable.Range(1, 29).Count(i => MaxDiff(y.Select(0, i), y.Select(0, 0)) > 1e-6);
        Assert.True(distinct > 20);
    }

    [Fact]
    public void NoneReturnsTheImagesAndDsaModeAugments()
    {
        using var scope = new TensorScope();
        var x = Tensors.Randn([4, 3, 8, 8]);
        Assert.Equal(0.0, MaxDiff(Augmenter.Apply(x, AugMode.None, new AugmentOptions()), x));
        var opts = new AugmentOptions { DsaStrategy = "rotate" };
        Assert.True(MaxDiff(Augmenter.Apply(x, AugMode.Dsa, opts), x) > 1e-3);
    }
}
