using DDist.Distillation;
using DDist.Reporting;
using DDist.Selection;
using ScottPlot;
using SkiaSharp;

namespace DDist.Tests.Reporting;

/// <summary>Each plot is rendered, decoded by our own PNG reader, and checked at the pixels where ScottPlot says
/// its data lie (so a point drawn in the wrong place, hidden under a legend or not drawn at all fails).</summary>
public class PlotTests
{
    private static readonly DDist.Reporting.Rgb Series0 = DDist.Reporting.Rgb.Palette[0], Series1 = DDist.Reporting.Rgb.Palette[1];

    private static WindowPoint Point(double beta, double mean, double std) => new(beta, mean, std, [mean - std, mean + std], [0], 1, "f");

    [Fact]
    public void EveryMethodOfAFamilyComparisonGetsItsOwnColour()
    {
        // random, herding, herding-argmax, kcenter, forgetting, dc, dsa, dm: repeated colours made the plot unreadable.
        var colours = Enumerable.Range(0, 8).Select(i => PlotRendering.Color(i)).ToList();
        Assert.Equal(8, colours.Distinct().Count());
    }

    [Fact]
    public void WindowPlotDrawsEveryPointAndItsErrorBarOutsideTheLegend()
    {
        var points = new[] { Point(0.0, 0.60, 0.05), Point(0.25, 0.80, 0.02), Point(0.5, 0.70, 0.04), Point(1.0, 0.65, 0.01) };
        var plot = WindowPlot.Build(points, "validation", usedBeta: 0.5);
        var png = new RenderedPng(plot.GetImageBytes(800, 480, ImageFormat.Png));
        Assert.Equal((800, 480), (png.Width, png.Height));
        var data = plot.LastRender.DataRect;
        foreach (var p in points)
        {
            var center = plot.GetPixel(new Coordinates(p.Beta, 100 * p.Mean));
            Assert.True(data.Contains(center), $"β {p.Beta} drawn outside the data area");
            Assert.True(png.HasNear(center.X, center.Y, Series0), $"no marker at β {p.Beta}");
            var top = plot.GetPixel(new Coordinates(p.Beta, 100 * (p.Mean + p.Std)));
            Assert.True(png.HasNear(top.X, top.Y, Series0, 2), $"no error bar cap at β {p.Beta}");
            // Above the cap (by half the bar's length) nothing of the series is drawn.
            var above = plot.GetPixel(new Coordinates(p.Beta, 100 * (p.Mean + 1.5 * p.Std) + 1));
            Assert.False(png.HasNear(above.X, above.Y, Series0, 1), $"series colour above the error bar at β {p.Beta}");
        }
        // The legend sits outside the data area, to its right.
        Assert.True(png.Count(Series0, x0: (int)data.Right + 5) > 0, "legend swatch of the series not drawn right of the data");
        // The β used is a dashed vertical line through the data area.
        int usedX = (int)Math.Round(plot.GetPixel(new Coordinates(0.5, 70)).X);
        int red = png.Count(DDist.Reporting.Rgb.Red, usedX - 1, (int)data.Top, usedX + 2, (int)data.Bottom);
        Assert.True(red > data.Height / 3, $"used β line has {red} red pixels over a {data.Height}-pixel-high data area");
    }

    [Fact]
    public void WindowPlotDrawsTheRandomPickAsAHorizontalReference()
    {
        var points = new[] { Point(0.0, 0.60, 0.05), Point(0.5, 0.70, 0.04), Point(1.0, 0.65, 0.01) };
        var random = DDist.Evaluation.EvalResult.From([0.74, 0.76]);
        var plot = WindowPlot.Build(points, "validation", usedBeta: null, random);
        var png = new RenderedPng(plot.GetImageBytes(800, 480, ImageFormat.Png));
        var data = plot.LastRender.DataRect;
        Assert.True(data.Contains(plot.GetPixel(new Coordinates(0.5, 75))), "the reference lies outside the axis range");
        // Dashed, across the whole width: along its row the second series' colour recurs from left to right.
        int y = (int)Math.Round(plot.GetPixel(new Coordinates(0.5, 75)).Y);
        int left = png.Count(Series1, (int)data.Left, y - 1, (int)data.HorizontalCenter, y + 2);
        int right = png.Count(Series1, (int)data.HorizontalCenter, y - 1, (int)data.Right, y + 2);
        Assert.True(left > data.Width / 10 && right > data.Width / 10, $"reference line: {left} + {right} pixels over a {data.Width}-pixel-wide data area");
        // Without a reference nothing is drawn there.
        var bare = WindowPlot.Build(points, "validation", usedBeta: null);
        var barePng = new RenderedPng(bare.GetImageBytes(800, 480, ImageFormat.Png));
        int bareY = (int)Math.Round(bare.GetPixel(new Coordinates(0.5, 75)).Y);
        Assert.Equal(0, barePng.Count(Series1, (int)bare.LastRender.DataRect.Left, bareY - 1, (int)bare.LastRender.DataRect.Right, bareY + 2));
    }

    [Fact]
    public void LossPlotDrawsLossAndStepSizeOfEachMethodInTwoPanels()
    {
        var selmatch = Enumerable.Range(0, 50).Select(i => new LossPoint(i, 1.0 - 0.01 * i, 0.01 + 0.0002 * i)).ToList();
        var mtt = Enumerable.Range(0, 50).Select(i => new LossPoint(i, 0.9 - 0.005 * i, 0.01 - 0.0001 * i))
                            .Append(new LossPoint(50, double.NaN, double.NaN)).ToList();   // a diverged last step is left out
        var multiplot = LossPlot.Build([("SelMatch", selmatch), ("MTT", mtt)]);
        var png = new RenderedPng(multiplot.Render(800, 640).GetImageBytes(ImageFormat.Png, 100));
        Assert.Equal((800, 640), (png.Width, png.Height));
        var (loss, lr) = (multiplot.GetPlot(0), multiplot.GetPlot(1));
        Assert.True(loss.LastRender.DataRect.Bottom < lr.LastRender.DataRect.Top, "the loss panel is not above the step-size panel");
        Assert.Equal(loss.LastRender.DataRect.Left, lr.LastRender.DataRect.Left, 0.5);   // iteration axes line up
        foreach (var i in new[] { 5, 25, 45 })
        {
            var a = loss.GetPixel(new Coordinates(i, selmatch[i].Loss));
            var b = loss.GetPixel(new Coordinates(i, mtt[i].Loss));
            var c = lr.GetPixel(new Coordinates(i, selmatch[i].Lr));
            var d = lr.GetPixel(new Coordinates(i, mtt[i].Lr));
            Assert.True(png.HasNear(a.X, a.Y, Series0), $"SelMatch loss missing at iteration {i}");
            Assert.True(png.HasNear(b.X, b.Y, Series1), $"MTT loss missing at iteration {i}");
            Assert.True(png.HasNear(c.X, c.Y, Series0), $"SelMatch step size missing at iteration {i}");
            Assert.True(png.HasNear(d.X, d.Y, Series1), $"MTT step size missing at iteration {i}");
        }
        Assert.Throws<ArgumentException>(() => LossPlot.Build([("SelMatch", Array.Empty<LossPoint>())]));
        // DD's loss is not a matching loss: its panels say what they show.
        Assert.Equal(("Trajectory matching loss", "step size α (syn_lr)"), (loss.Axes.Title.Label.Text, lr.Axes.Left.Label.Text));
        var dd = LossPlot.Build([("DD", selmatch)], LossPlotText.Unrolled);
        Assert.Equal(("Loss after the learned steps", "mean α over the steps"), (dd.GetPlot(0).Axes.Title.Label.Text, dd.GetPlot(1).Axes.Left.Label.Text));
    }

    [Fact]
    public void IpcPlotPlacesEachMethodAtItsIpcWithErrorBars()
    {
        var points = new List<(string, int, double, double)>
        {
            ("MTT", 1, 0.50, 0.02), ("MTT", 10, 0.70, 0.01), ("MTT", 50, 0.80, 0.01),
            ("SelMatch", 1, 0.52, 0.03), ("SelMatch", 10, 0.75, 0.02), ("SelMatch", 50, 0.85, 0.01),
        };
        var plot = IpcPlot.Build(points, "Fashion-MNIST");
        var bytes = plot.GetImageBytes(800, 480, ImageFormat.Png);
        var png = new RenderedPng(bytes);
        int[] ipcs = [1, 10, 50];
        foreach (var (method, ipc, mean, std) in points)
        {
            int m = method == "MTT" ? 0 : 1;
            double x = Array.IndexOf(ipcs, ipc) + IpcPlot.Shift(m, 2);
            var color = m == 0 ? Series0 : Series1;
            var center = plot.GetPixel(new Coordinates(x, 100 * mean));
            var top = plot.GetPixel(new Coordinates(x, 100 * (mean + std)));
            Assert.True(png.HasNear(center.X, center.Y, color), $"{method} at IPC {ipc} not drawn");
            Assert.True(png.HasNear(top.X, top.Y, color, 2), $"{method} at IPC {ipc}: no error bar cap");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => IpcPlot.Build([("MTT", 1, 85.0, 1.0)], "percent instead of a fraction"));
        Assert.Throws<ArgumentException>(() => IpcPlot.Build([("MTT", 1, 0.5, 0.1), ("MTT", 1, 0.6, 0.1)], "two points at one IPC"));
        Assert.Throws<ArgumentOutOfRangeException>(() => IpcPlot.Build([("MTT", 0, 0.5, 0.1)], "IPC 0"));
    }

    [Fact]
    public void StageTimesBarsHaveTheLengthsOfTheirStages()
    {
        var stages = new List<(string, TimeSpan)> { ("experts", TimeSpan.FromMinutes(6)), ("window search", TimeSpan.FromMinutes(2)), ("distill selmatch", TimeSpan.FromMinutes(10)) };
        var plot = StageTimesPlot.Build(stages);
        Assert.Equal(("min", 60.0), StageTimesPlot.Unit(stages));
        var png = new RenderedPng(plot.GetImageBytes(800, 300, ImageFormat.Png));
        for (int i = 0; i < stages.Count; i++)
        {
            double y = stages.Count - 1 - i, minutes = stages[i].Item2.TotalMinutes;
            var inside = plot.GetPixel(new Coordinates(0.9 * minutes, y));
            var beyond = plot.GetPixel(new Coordinates(minutes + 0.6, y));
            Assert.True(png.HasNear(inside.X, inside.Y, Series0, 0), $"bar of '{stages[i].Item1}' shorter than {minutes} min");
            Assert.False(png.HasNear(beyond.X, beyond.Y, Series0, 0), $"bar of '{stages[i].Item1}' longer than {minutes} min");
        }
    }

    [Fact]
    public void AFontFileNamedInTheEnvironmentIsUsedOrRefusedByName()
    {
        // DDIST_FONT serves machines without installed fonts (a bare GPU machine): a real font file is taken, a
        // missing or unreadable one is an error naming the variable, never a silent fallback to boxes.
        var installed = PlotFonts.Typeface;
        var file = new[] { "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans.ttf" }
            .First(File.Exists);
        Assert.Equal(PlotFonts.Family, PlotFonts.Load(file).FamilyName);

        var missing = Path.Combine(Path.GetTempPath(), $"ddist-no-font-{Guid.NewGuid():N}.ttf");
        var e = Assert.Throws<FileNotFoundException>(() => PlotFonts.Load(missing));
        Assert.Contains(PlotFonts.FileVariable, e.Message);
        Assert.Contains(missing, e.Message);

        var notFont = Path.GetTempFileName();
        try
        {
            File.WriteAllText(notFont, "not a font");
            var bad = Assert.Throws<InvalidDataException>(() => PlotFonts.Load(notFont));
            Assert.Contains(notFont, bad.Message);
        }
        finally { File.Delete(notFont); }
        Assert.NotNull(installed);
    }

    [Fact]
    public void GreekLettersHaveGlyphsAndInk()
    {
        var typeface = PlotFonts.Typeface;
        Assert.Equal(PlotFonts.Family, typeface.FamilyName);
        using var font = new SKFont(typeface, 40);
        foreach (var letter in "αβ")
        {
            Assert.NotEqual(0, font.GetGlyphs(letter.ToString())[0]);          // glyph 0 is the "missing" box
            using var bitmap = new SKBitmap(60, 60);
            using var canvas = new SKCanvas(bitmap);
            canvas.Clear(SKColors.White);
            using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            canvas.DrawText(letter.ToString(), 10, 45, SKTextAlign.Left, font, ink);
            int dark = Enumerable.Range(0, 60 * 60).Count(i => bitmap.GetPixel(i % 60, i / 60).Red < 128);
            Assert.True(dark > 30, $"'{letter}' drew {dark} dark pixels");
        }
        // β and a Latin B are drawn differently (a font without β would give both the same box or nothing).
        using var f = new SKFont(typeface, 40);
        Assert.NotEqual(f.GetGlyphs("β")[0], f.GetGlyphs("B")[0]);
    }
}
