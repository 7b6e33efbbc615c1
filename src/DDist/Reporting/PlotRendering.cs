using ScottPlot;

namespace DDist.Reporting;

/// <summary>What every report plot shares: the font (with Greek letters), the palette, PNG output.</summary>
internal static class PlotRendering
{
    public static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        PlotFonts.EnsureRegistered();
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.Font.Set(PlotFonts.Family);
        return plot;
    }

    /// <summary>Legends go outside the data area, so they never cover a point.</summary>
    public static void LegendOutside(Plot plot) => plot.ShowLegend(Edge.Right);

    /// <summary>One series of means with ± one standard deviation as error bars, markers joined by a line.</summary>
    public static void MeanWithErrorBars(Plot plot, double[] x, double[] mean, double[] std, Color color, string legend)
    {
        var errors = plot.Add.ErrorBar(x, mean, std);
        errors.Color = color;
        errors.LineWidth = 2;
        var line = plot.Add.Scatter(x, mean, color);
        line.LineWidth = 2;
        line.MarkerSize = 8;
        line.LegendText = legend;
    }

    public static Color Color(int seriesIndex) => ToColor(Rgb.Palette[seriesIndex % Rgb.Palette.Count]);

    public static Color ToColor(Rgb c) => new(c.R, c.G, c.B);

    public static byte[] Png(Plot plot, int width, int height)
    {
        CheckSize(width, height);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    public static byte[] Png(Multiplot multiplot, int width, int height)
    {
        CheckSize(width, height);
        return multiplot.Render(width, height).GetImageBytes(ImageFormat.Png, 100);
    }

    /// <summary>Finite (x, y) pairs only: a diverged run's NaN losses would otherwise break the axis limits.</summary>
    public static (double[] X, double[] Y) Finite(IEnumerable<(double X, double Y)> points)
    {
        var kept = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToArray();
        return (kept.Select(p => p.X).ToArray(), kept.Select(p => p.Y).ToArray());
    }

    private static void CheckSize(int width, int height)
    {
        if (width < 100 || height < 100 || width > 8000 || height > 8000)
            throw new ArgumentOutOfRangeException(nameof(width), $"plot size {width}×{height}: expected 100 to 8000 pixels each way");
    }
}
