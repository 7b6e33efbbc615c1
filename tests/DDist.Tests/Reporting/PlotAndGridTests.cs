using DDist.Artifacts;
using DDist.Data;
using DDist.Reporting;
using DDist.Torch;

namespace DDist.Tests.Reporting;

public class PlotAndGridTests
{
    [Theory]
    [InlineData(0.0, 0.9, new[] { 0.0, 0.2, 0.4, 0.6, 0.8, 1.0 }, 1)]
    [InlineData(0.71, 0.83, new[] { 0.70, 0.72, 0.74, 0.76, 0.78, 0.80, 0.82, 0.84 }, 2)]
    [InlineData(0, 300, new[] { 0.0, 50, 100, 150, 200, 250, 300 }, 0)]
    public void NiceTicksCoverTheRangeAtRoundSteps(double lo, double hi, double[] expected, int decimals)
    {
        var (ticks, dec) = LinePlot.NiceTicks(lo, hi);
        Assert.Equal(expected.Length, ticks.Length);
        for (int i = 0; i < ticks.Length; i++) Assert.Equal(expected[i], ticks[i], 9);
        Assert.Equal(decimals, dec);
    }

    [Fact]
    public void PlotDrawsSeriesErrorBarsAndText()
    {
        var spec = new LinePlotSpec("ACCURACY VS BETA", "beta", "accuracy",
            [new PlotSeries("window", [0, 0.25, 0.5], [0.6, 0.8, 0.7], Rgb.Blue, [0.05, 0.02, 0.0])], 400, 300);
        var c = LinePlot.Render(spec);
        Assert.Equal((400, 300), (c.Width, c.Height));
        int blue = 0, black = 0;
        for (int y = 0; y < c.Height; y++)
            for (int x = 0; x < c.Width; x++)
            {
                var p = c.GetPixel(x, y);
                if (p == Rgb.Blue) blue++;
                if (p == Rgb.Black) black++;
            }
        Assert.True(blue > 200, $"{blue} series pixels");
        Assert.True(black > 500, $"{black} axis/text pixels");
        var (decoded, h, w) = ImageCodec.Decode(c.ToPng(), 3);
        Assert.Equal(c.Pixels, decoded);
    }

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
        var c = ImageGrid.Render(set, o, norm);
        int tile = 2 * 3 + 2;                                       // 6 pixels of image + 1 frame each side
        Assert.Equal((2 + 2 * (tile + 2), 2 + 2 * (tile + 2)), (c.Width, c.Height));
        Assert.Equal(new Rgb(128, 128, 128), c.GetPixel(2 + 1, 2 + 1));                  // class 0, first image
        Assert.Equal(o.SelectedFrame, c.GetPixel(2, 2));
        int row1 = 2 + tile + 2;
        Assert.Equal(Rgb.White, c.GetPixel(2 + 1 + 5, row1 + 1 + 5));                    // distilled, clamped to 1
        Assert.Equal(o.DistilledFrame, c.GetPixel(2, row1));
        Assert.Equal(Rgb.Black, c.GetPixel(2 + tile + 2 + 1, row1 + 1));                  // clamped to 0
        Assert.Equal(o.SelectedFrame, c.GetPixel(2 + tile + 2, row1));
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
