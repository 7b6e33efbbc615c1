namespace DDist.Reporting;

/// <summary>Accuracy against images per class, one line per method with ± std error bars (the layout of the
/// comparison tables of Cazenavette et al. 2022 and Lee et al. 2024 drawn as a figure). IPC values sit at evenly
/// spaced positions (1, 10, 50 would crowd on a linear axis) and each method is shifted a little sideways so
/// error bars of different methods at the same IPC do not hide each other.</summary>
public static class IpcPlot
{
    /// <param name="points">Accuracies as fractions in [0, 1] (as measured), drawn in percent.</param>
    public static byte[] Render(IReadOnlyList<(string Method, int Ipc, double Mean, double Std)> points, string title, int width = 800, int height = 480) =>
        PlotRendering.Png(Build(points, title), width, height);

    public static void Save(string path, IReadOnlyList<(string Method, int Ipc, double Mean, double Std)> points, string title) =>
        PngFile.Save(Render(points, title), path);

    /// <summary>The plot before rendering; x of a point is its IPC's index plus <see cref="Shift"/>.</summary>
    internal static ScottPlot.Plot Build(IReadOnlyList<(string Method, int Ipc, double Mean, double Std)> points, string title)
    {
        if (points.Count == 0) throw new ArgumentException("no (method, IPC) points to plot", nameof(points));
        foreach (var p in points)
        {
            if (p.Ipc < 1) throw new ArgumentOutOfRangeException(nameof(points), $"{p.Method}: IPC {p.Ipc}, expected at least 1");
            if (!(p.Mean >= 0 && p.Mean <= 1) || !(p.Std >= 0 && p.Std <= 1))
                throw new ArgumentOutOfRangeException(nameof(points), $"{p.Method} at IPC {p.Ipc}: accuracy {p.Mean} ± {p.Std}, expected fractions in [0, 1]");
        }
        var ipcs = points.Select(p => p.Ipc).Distinct().Order().ToArray();
        var methods = points.Select(p => p.Method).Distinct().ToArray();
        var plot = PlotRendering.NewPlot(title, "images per class (IPC)", "accuracy (%)");
        for (int m = 0; m < methods.Length; m++)
        {
            var mine = points.Where(p => p.Method == methods[m]).OrderBy(p => p.Ipc).ToArray();
            if (mine.Select(p => p.Ipc).Distinct().Count() != mine.Length)
                throw new ArgumentException($"method '{methods[m]}' has more than one point at the same IPC", nameof(points));
            var x = mine.Select(p => Array.IndexOf(ipcs, p.Ipc) + Shift(m, methods.Length)).ToArray();
            PlotRendering.MeanWithErrorBars(plot, x, mine.Select(p => 100 * p.Mean).ToArray(), mine.Select(p => 100 * p.Std).ToArray(),
                                            PlotRendering.Color(m), methods[m]);
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, ipcs.Length).Select(i => (double)i).ToArray(), ipcs.Select(i => i.ToString()).ToArray());
        plot.Axes.SetLimitsX(-0.5, ipcs.Length - 0.5);
        PlotRendering.LegendOutside(plot);
        return plot;
    }

    /// <summary>Sideways offset of method <paramref name="m"/> of <paramref name="count"/>: spread over [-0.1, 0.1].</summary>
    internal static double Shift(int m, int count) => count == 1 ? 0 : -0.1 + 0.2 * m / (count - 1);
}
