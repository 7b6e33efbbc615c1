using DDist.Augment;
using DDist.Torch;

namespace DDist.Tests.Augment;

/// <summary>The DSA operations with chosen (not random) parameters against their defining formulas.</summary>
public class DsaOperationTests
{
    private static double MaxDiff(Tensor a, Tensor b) => (a - b).Abs().Max().Item();

    private static double At(Tensor t, params long[] index)
    {
        using var scope = new TensorScope();
        var e = t;
        foreach (var i in index) e = e.Select(0, i);
        return e.Item();
    }

    private static Tensor Apply(DsaOp op, Tensor x)
    {
        using (op) return op.Apply(x);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void UnitScaleAndZeroRotationAreIdentities(bool alignCorners)
    {
        using var scope = new TensorScope();
        var x = Tensors.Randn([3, 2, 9, 7]);
        var ones = Tensors.Ones([3]);
        Assert.True(MaxDiff(Apply(AffineOp.Scale(ones, ones, 9, 7, alignCorners), x), x) < 1e-5);
        Assert.True(MaxDiff(Apply(AffineOp.Rotate(Tensors.Zeros([3]), 9, 7, alignCorners), x), x) < 1e-5);
        // A batch-1 (siamese) grid serves a larger batch.
        Assert.True(MaxDiff(Apply(AffineOp.Rotate(Tensors.Zeros([1]), 9, 7, alignCorners), x), x) < 1e-5);
    }

    [Fact]
    public void QuarterTurnWithAlignedCornersMovesPixelsExactly()
    {
        // θ = [[0, −1], [1, 0]]: output (i, j) samples the source at column W−1−i, row j.
        using var scope = new TensorScope();
        var x = Tensors.Arange(0, 25, 1, DType.Float32).View(1, 1, 5, 5);
        var y = Apply(AffineOp.Rotate(Tensors.Full([1], Math.PI / 2), 5, 5, alignCorners: true), x).View(5, 5).ToArray<float>();
        var src = x.View(5, 5).ToArray<float>();
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 5; j++)
                Assert.Equal(src[j * 5 + (4 - i)], y[i * 5 + j], 3);
    }

    [Fact]
    public void ScaleAboveOneShrinksContentWithZeroBorder()
    {
        using var scope = new TensorScope();
        var x = Tensors.Ones([1, 1, 9, 9]);
        var y = Apply(AffineOp.Scale(Tensors.Full([1], 1.2), Tensors.Full([1], 1.2), 9, 9, alignCorners: true), x);
        Assert.Equal(1.0, y.Select(2, 4).Select(2, 4).Item(), 5); // the centre stays
        Assert.True(y.Select(2, 0).Select(2, 0).Item() < 0.5);   // corners sample outside the image
    }

    [Fact]
    public void FlipTwiceIsIdentityAndFlipMirrorsWidth()
    {
        using var scope = new TensorScope();
        var x = Tensors.Randn([2, 3, 4, 5]);
        var flags = Tensors.FromArray(new[] { true, false }, 2, 1, 1, 1);
        using var flip = new FlipOp(flags.Clone().DetachFromScope());
        var once = flip.Apply(x);
        Assert.Equal(0.0, MaxDiff(flip.Apply(once), x));
        Assert.Equal(0.0, MaxDiff(once.Select(0, 0), x.Select(0, 0).Flip(2)));
        Assert.Equal(0.0, MaxDiff(once.Select(0, 1), x.Select(0, 1)));
    }

    [Fact]
    public void TranslationShiftsWithZeroFill()
    {
        using var scope = new TensorScope();
        var x = Tensors.Randn([2, 2, 6, 7]);
        var zero = Tensors.Zeros([2], DType.Int64);
        Assert.Equal(0.0, MaxDiff(Apply(TranslateOp.Create(zero, zero, 6, 7), x), x));

        // Sample 0: out[i, j] = x[i + 2, j − 1]; sample 1: a shift larger than the one-pixel pad (−5 rows).
        var rows = Tensors.FromArray(new long[] { 2, -5 });
        var cols = Tensors.FromArray(new long[] { -1, 0 });
        var y = Apply(TranslateOp.Create(rows, cols, 6, 7), x).ToArray<float>();
        var src = x.ToArray<float>();
        long[] tr = [2, -5], tc = [-1, 0];
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 2; c++)
                for (int i = 0; i < 6; i++)
                    for (int j = 0; j < 7; j++)
                    {
                        long si = i + tr[n], sj = j + tc[n];
                        float expected = si is >= 0 and < 6 && sj is >= 0 and < 7 ? src[((n * 2 + c) * 6 + si) * 7 + sj] : 0f;
                        Assert.Equal(expected, y[((n * 2 + c) * 6 + i) * 7 + j]);
                    }
    }

    [Fact]
    public void CutoutZeroesTheSquareAroundTheCentre()
    {
        using var scope = new TensorScope();
        var x = Tensors.Ones([2, 3, 32, 32]);
        // Side round(0.5·32) = 16: centre 16 covers rows 8..23; centre 0 is clipped to rows 0..7.
        var y = Apply(CutoutOp.Create(Tensors.FromArray(new long[] { 16, 0 }), Tensors.FromArray(new long[] { 16, 31 }), 32, 32, 0.5), x);
        var zerosPerSample = y.Eq(0).Sum([1, 2, 3]).ToArray<long>();
        Assert.Equal(new long[] { 3 * 16 * 16, 3 * 8 * 9 }, zerosPerSample);
        Assert.Equal(0.0, At(y, 0, 0, 8, 8)); Assert.Equal(0.0, At(y, 0, 2, 23, 23));
        Assert.Equal(1.0, At(y, 0, 1, 7, 8)); Assert.Equal(1.0, At(y, 0, 1, 8, 24));
        Assert.Equal(0.0, At(y, 1, 1, 0, 31)); Assert.Equal(0.0, At(y, 1, 1, 7, 23)); Assert.Equal(1.0, At(y, 1, 1, 7, 22));
        Assert.Equal(14, CutoutOp.Side(28, 0.5));
        Assert.Equal(32, CutoutOp.Side(64, 0.5));
    }

    [Fact]
    public void SaturationIsANoOpOnOneChannelButNotOnThree()
    {
        using var scope = new TensorScope();
        var factor = Tensors.FromArray(new float[] { 0.1f, 1.9f }, 2, 1, 1, 1);
        using var op = new SaturationOp(factor.Clone().DetachFromScope());
        var gray = Tensors.Randn([2, 1, 6, 6]);
        Assert.True(MaxDiff(op.Apply(gray), gray) < 1e-6);
        var colour = Tensors.Randn([2, 3, 6, 6]);
        Assert.True(MaxDiff(op.Apply(colour), colour) > 0.1);
    }

    [Fact]
    public void ColourOpsFollowTheirFormulas()
    {
        using var scope = new TensorScope();
        var x = Tensors.Randn([2, 3, 4, 4]);
        var offset = Tensors.FromArray(new float[] { -0.25f, 0.4f }, 2, 1, 1, 1);
        using (var b = new BrightnessOp(offset.Clone().DetachFromScope()))
            Assert.True(MaxDiff(b.Apply(x), x + offset) < 1e-6);
        var factor = Tensors.FromArray(new float[] { 0.5f, 1.5f }, 2, 1, 1, 1);
        using var c = new ContrastOp(factor.Clone().DetachFromScope());
        var m = x.Mean([1, 2, 3], keepDim: true);
        Assert.True(MaxDiff(c.Apply(x), (x - m) * factor + m) < 1e-5);
        // Contrast keeps each image's mean.
        Assert.True(MaxDiff(c.Apply(x).Mean([1, 2, 3]), x.Mean([1, 2, 3])) < 1e-5);
    }
}
