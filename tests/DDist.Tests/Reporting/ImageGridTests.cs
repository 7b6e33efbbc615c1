using DDist.Artifacts;
using DDist.Data;
using DDist.Reporting;
using DDist.Torch;
using SkiaSharp;

namespace DDist.Tests.Reporting;

public class ImageGridTests
{
    [Fact]
    public void GridDenormalisesAndFramesDistilledImages()
    {
        var norm = new Normalization("test", [0.5f], [0.25f]);
        // Three 2×2 grey images: class 0 real (pixel 0.5 → x=0), class 1 distilled (pixel 1.0 → x=2), class 1 real out of range (x=-9 → 0).
        var set = new SmallSet
        {
            Images = Tensors.FromArray(new float[] { 0, 0, 0, 0, 2, 2, 2, 2, -9, -9, -9, -9 }, 3, 1, 2, 2),
            Labels = Tensors.FromArray(new long[] { 0, 1, 1 }),
            IsDistilled = [false, true, false],
            SourceIndex = [5, 6, 7],
            Info = new SmallSetInfo { Dataset = "toy", Normalization = "test", Method = "selmatch", Ipc = 2, NumClasses = 2 },
        };
        using var _ = set;
        var o = new GridOptions { PerClass = 2, Scale = 3, Frame = 1, Gap = 2, RowLabels = false };
        using var c = ImageGrid.Render(set, o, norm);
        int tile = 2 * 3 + 2;                                       // 6 pixels of image + 1 frame each side
        Assert.Equal((2 + 2 * (tile + 2), 2 + 2 * (tile + 2)), (c.Width, c.Height));
        Assert.Equal(new SKColor(128, 128, 128), c.GetPixel(2 + 1, 2 + 1));                  // class 0, first image
        Assert.Equal(ImageGrid.Sk(o.SelectedFrame), c.GetPixel(2, 2));
        int row1 = 2 + tile + 2;
        Assert.Equal(SKColors.White, c.GetPixel(2 + 1 + 5, row1 + 1 + 5));                    // distilled, clamped to 1
        Assert.Equal(ImageGrid.Sk(o.DistilledFrame), c.GetPixel(2, row1));
        Assert.Equal(SKColors.Black, c.GetPixel(2 + tile + 2 + 1, row1 + 1));                  // clamped to 0
        Assert.Equal(ImageGrid.Sk(o.SelectedFrame), c.GetPixel(2 + tile + 2, row1));
        // Asked for more images per class than the set has, the grid is as wide as its fullest row, not PerClass.
        using (var wide = ImageGrid.Render(set, o with { PerClass = 100 }, norm)) Assert.Equal((c.Width, c.Height), (wide.Width, wide.Height));
        // The PNG holds the same pixels (decoded by our libpng reader).
        var png = new RenderedPng(PngFile.Encode(c));
        Assert.Equal((c.Width, c.Height), (png.Width, png.Height));
        Assert.Equal((128, 128, 128), ((int)png.At(3, 3).R, (int)png.At(3, 3).G, (int)png.At(3, 3).B));
        Assert.True(RenderedPng.Close(png.At(2, row1), o.DistilledFrame, 0));
    }

    /// <summary>A ZCA-whitened set is drawn as its pixels: the inverse transform it carries, not a min–max stretch of
    /// the whitened values.</summary>
    [Fact]
    public void AZcaSetIsDrawnThroughItsInverseTransform()
    {
        Tensors.ManualSeed(3);
        using var pixels = Tensors.Rand([40, 1, 2, 2]).Mul(0.8).Add(0.1);   // in [0.1, 0.9]: nothing to clamp
        using var zca = ZcaTransform.Fit(pixels);
        var labels = Enumerable.Range(0, 40).Select(i => (long)(i % 2)).ToArray();
        var o = new GridOptions { PerClass = 3, Scale = 1, Frame = 1, Gap = 2, RowLabels = false };
        var set = new SmallSet
        {
            Images = zca.Apply(pixels), Labels = Tensors.FromArray(labels), IsDistilled = Enumerable.Repeat(true, 40).ToArray(),
            SourceIndex = Enumerable.Repeat(-1L, 40).ToArray(), Zca = zca.ToTensors(),
            Info = new SmallSetInfo { Dataset = "toy", Normalization = "zca", Method = "datm", Ipc = 20, NumClasses = 2 },
        };
        using var _ = set;
        using var drawn = ImageGrid.Render(set, o);
        using var expected = ImageGrid.Render(pixels, labels, set.IsDistilled, 2, Normalization.Identity(1), o);
        using var stretched = ImageGrid.Render(set.Images, labels, set.IsDistilled, 2, null, o);
        int differing = 0, fromStretch = 0;
        for (int x = 0; x < drawn.Width; x++)
            for (int y = 0; y < drawn.Height; y++)
            {
                if (Math.Abs(drawn.GetPixel(x, y).Red - expected.GetPixel(x, y).Red) > 1) differing++;
                if (drawn.GetPixel(x, y) != stretched.GetPixel(x, y)) fromStretch++;
            }
        Assert.Equal(0, differing);
        Assert.True(fromStretch > 0, "the whitened values drawn min–max would look the same: the test would mean nothing");
    }

    [Fact]
    public void RowLabelsAndTitlesAreDrawnInInk()
    {
        var set = new SmallSet
        {
            Images = Tensors.Zeros([2, 1, 4, 4]).DetachFromScope(),
            Labels = Tensors.FromArray(new long[] { 0, 1 }).DetachFromScope(),
            IsDistilled = [true, false],
            SourceIndex = [0, 1],
            Info = new SmallSetInfo { Dataset = "toy", Normalization = "none", Method = "selmatch", Ipc = 1, NumClasses = 2 },
        };
        using var _ = set;
        var o = new GridOptions { PerClass = 1, Scale = 8, RowLabels = true };
        using var labelled = ImageGrid.Render(set, o, new Normalization("none", [0.5f], [0.5f]));
        using var bare = ImageGrid.Render(set, o with { RowLabels = false }, new Normalization("none", [0.5f], [0.5f]));
        Assert.True(labelled.Width > bare.Width, "row labels take no room");
        int labelWidth = labelled.Width - bare.Width;
        int Ink(SKBitmap b, int x0, int x1, int y0, int y1)
        {
            int n = 0;
            for (int y = y0; y < y1; y++) for (int x = x0; x < x1; x++) if (b.GetPixel(x, y).Red < 100) n++;
            return n;
        }
        Assert.True(Ink(labelled, 0, labelWidth, 0, labelled.Height / 2) > 10, "no label in the first row");
        using var composed = ImageGrid.Compose([("Window selection (real)", bare), ("SelMatch, β = 0.5", bare)]);
        Assert.True(composed.Height > bare.Height && composed.Width >= 2 * bare.Width);
        Assert.True(Ink(composed, 0, composed.Width, 0, composed.Height - bare.Height) > 50, "no titles above the grids");
    }

    [Fact]
    public void NormalizationIsRecoveredFromItsTextForm()
    {
        Assert.Equal(Normalization.FashionMnistDc, NormalizationText.TryResolve("fashion-mnist-dc"));
        var n = NormalizationText.TryResolve("mean=[0.1, 0.2, 0.3] std=[1, 2, 3]")!;
        Assert.Equal([0.1f, 0.2f, 0.3f], n.Mean);
        Assert.Equal([1f, 2f, 3f], n.Std);
        Assert.Null(NormalizationText.TryResolve("zca"));
    }
}
