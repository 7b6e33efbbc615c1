using System.Globalization;

namespace DDist.Reporting;

/// <summary>One line of a plot; <see cref="YErr"/> (optional) draws ± error bars at every point.</summary>
public sealed record PlotSeries(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y, Rgb Color,
                                IReadOnlyList<double>? YErr = null, bool Markers = true);

/// <summary>What to draw: title, axis labels, series, size in pixels.</summary>
public sealed record LinePlotSpec(string Title, string XLabel, string YLabel, IReadOnlyList<PlotSeries> Series,
                                  int Width = 800, int Height = 480);

/// <summary>Renders line plots (axes, grid, numbered ticks, legend, optional error bars) with the built-in rasteriser.</summary>
public static class LinePlot
{
    private const int Font = 2;                       // text scale: 10×14-pixel glyphs
    private const int Left = 90, Right = 24, Top = 44, Bottom = 64;

    public static Canvas Render(LinePlotSpec spec)
    {
        var points = spec.Series.SelectMany(s => s.X.Select((x, i) => (x, lo: s.Y[i] - Err(s, i), hi: s.Y[i] + Err(s, i)))).ToList();
        if (points.Count == 0) throw new ArgumentException("nothing to plot: every series is empty", nameof(spec));
        foreach (var s in spec.Series)
            if (s.X.Count != s.Y.Count || (s.YErr is not null && s.YErr.Count != s.Y.Count))
                throw new ArgumentException($"series '{s.Label}': X, Y (and YErr) must have the same length", nameof(spec));
        var (xTicks, xDec) = NiceTicks(points.Min(p => p.x), points.Max(p => p.x));
        var (yTicks, yDec) = NiceTicks(points.Min(p => p.lo), points.Max(p => p.hi));
        double x0 = xTicks[0], x1 = xTicks[^1], y0 = yTicks[0], y1 = yTicks[^1];

        var c = new Canvas(spec.Width, spec.Height, Rgb.White);
        int pl = Left, pr = spec.Width - Right, pt = Top, pb = spec.Height - Bottom;
        int Px(double x) => pl + (int)Math.Round((x - x0) / (x1 - x0) * (pr - pl));
        int Py(double y) => pb - (int)Math.Round((y - y0) / (y1 - y0) * (pb - pt));

        c.DrawText((spec.Width - BitmapFont.Measure(spec.Title, Font)) / 2, 10, spec.Title, Rgb.Black, Font);
        foreach (var t in yTicks)
        {
            int y = Py(t);
            c.DrawLine(pl, y, pr, y, Rgb.LightGrey);
            var label = t.ToString("F" + yDec, CultureInfo.InvariantCulture);
            c.DrawText(pl - 8 - BitmapFont.Measure(label, Font), y - 7, label, Rgb.Black, Font);
        }
        foreach (var t in xTicks)
        {
            int x = Px(t);
            c.DrawLine(x, pt, x, pb, Rgb.LightGrey);
            var label = t.ToString("F" + xDec, CultureInfo.InvariantCulture);
            c.DrawText(x - BitmapFont.Measure(label, Font) / 2, pb + 8, label, Rgb.Black, Font);
        }
        c.DrawLine(pl, pb, pr, pb, Rgb.Black, 2);
        c.DrawLine(pl, pt, pl, pb, Rgb.Black, 2);
        c.DrawText((pl + pr - BitmapFont.Measure(spec.XLabel, Font)) / 2, pb + 34, spec.XLabel, Rgb.Black, Font);
        c.DrawText(8, pt - 24 + 4, spec.YLabel, Rgb.Black, Font);

        foreach (var s in spec.Series) DrawSeries(c, s, Px, Py);
        var pixels = spec.Series.SelectMany(s => s.X.Select((x, i) => (Px(x), Py(s.Y[i])))).ToList();
        DrawLegend(c, spec.Series, pr, pt, pb, pixels);
        return c;
    }

    private static double Err(PlotSeries s, int i) => s.YErr is null ? 0 : s.YErr[i];

    private static void DrawSeries(Canvas c, PlotSeries s, Func<double, int> px, Func<double, int> py)
    {
        for (int i = 1; i < s.X.Count; i++)
            c.DrawLine(px(s.X[i - 1]), py(s.Y[i - 1]), px(s.X[i]), py(s.Y[i]), s.Color, 2);
        for (int i = 0; i < s.X.Count; i++)
        {
            int x = px(s.X[i]), y = py(s.Y[i]);
            if (s.YErr is not null && s.YErr[i] > 0)
            {
                int top = py(s.Y[i] + s.YErr[i]), bottom = py(s.Y[i] - s.YErr[i]);
                c.DrawLine(x, top, x, bottom, s.Color, 2);
                c.DrawLine(x - 5, top, x + 5, top, s.Color, 2);
                c.DrawLine(x - 5, bottom, x + 5, bottom, s.Color, 2);
            }
            if (s.Markers) c.FillRect(x - 4, y - 4, 9, 9, s.Color);
        }
    }

    /// <summary>The legend goes in the top-right or bottom-right corner, whichever covers fewer data points.</summary>
    private static void DrawLegend(Canvas c, IReadOnlyList<PlotSeries> series, int right, int top, int bottom, List<(int X, int Y)> points)
    {
        var named = series.Where(s => s.Label.Length > 0).ToList();
        if (named.Count == 0) return;
        int width = named.Max(s => BitmapFont.Measure(s.Label, Font)) + 40, height = named.Count * 20 + 8;
        int x = right - width - 8;
        int Covered(int y0) => points.Count(p => p.X >= x - 6 && p.X <= x + width + 6 && p.Y >= y0 - 6 && p.Y <= y0 + height + 6);
        int upper = top + 8, lower = bottom - height - 8;
        int y = Covered(lower) < Covered(upper) ? lower : upper;
        c.FillRect(x, y, width, height, Rgb.White);
        c.DrawRect(x, y, width, height, Rgb.Grey);
        for (int i = 0; i < named.Count; i++)
        {
            c.FillRect(x + 8, y + 8 + i * 20, 18, 12, named[i].Color);
            c.DrawText(x + 32, y + 7 + i * 20, named[i].Label, Rgb.Black, Font);
        }
    }

    /// <summary>Tick values at a "nice" step (1, 2 or 5 × 10^k) covering [lo, hi] with about <paramref name="target"/>
    /// intervals; the first and last tick enclose the data. Also the decimals the step needs.</summary>
    public static (double[] Ticks, int Decimals) NiceTicks(double lo, double hi, int target = 5)
    {
        if (!double.IsFinite(lo) || !double.IsFinite(hi)) throw new ArgumentException($"axis range [{lo}, {hi}] is not finite");
        if (hi <= lo) { double pad = lo == 0 ? 1 : Math.Abs(lo) * 0.1; lo -= pad; hi += pad; }
        double rough = (hi - lo) / target;
        double mag = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double norm = rough / mag;
        double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
        double first = Math.Floor(lo / step + 1e-9) * step, last = Math.Ceiling(hi / step - 1e-9) * step;
        int count = (int)Math.Round((last - first) / step) + 1;
        var ticks = Enumerable.Range(0, count).Select(i => first + i * step).ToArray();
        int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
        return (ticks, decimals);
    }
}
