using DDist.Evaluation;

namespace DDist.Reporting;

/// <summary>Each compared set's test accuracy by architecture, as grouped bars with ± std: one group per network, one
/// colour per method, so whether a set's lead over Random survives another network reads at a glance.</summary>
public static class CrossArchitecturePlot
{
    public static void Save(string path, IReadOnlyList<string> models, IReadOnlyList<(string Method, IReadOnlyList<EvalResult?> ByModel)> rows) =>
        PngFile.Save(PlotRendering.Png(Build(models, rows), 900, 450), path);

    /// <summary>The plot before rendering: method r of group m is drawn at x = m (methods + 1) + r.</summary>
    internal static ScottPlot.Plot Build(IReadOnlyList<string> models, IReadOnlyList<(string Method, IReadOnlyList<EvalResult?> ByModel)> rows)
    {
        var plot = PlotRendering.NewPlot("Across architectures", "", "test accuracy (%)");
        int group = rows.Count + 1;
        for (int r = 0; r < rows.Count; r++)
        {
            var bars = rows[r].ByModel.Select((acc, m) => acc is null ? null : new ScottPlot.Bar
            {
                Position = m * group + r, Value = 100 * acc.Mean, Error = 100 * acc.Std, FillColor = PlotRendering.Color(r),
            }).OfType<ScottPlot.Bar>().ToArray();
            plot.Add.Bars(bars).LegendText = rows[r].Method;
        }
        plot.Axes.Bottom.SetTicks(models.Select((_, m) => m * group + (rows.Count - 1) / 2.0).ToArray(), models.ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.SetLimitsX(-0.75, models.Count * group - 1.25);   // every group, a network without results too
        // Accuracies cluster far from zero: an axis from just under the lowest bar shows the differences.
        var shown = rows.SelectMany(r => r.ByModel).OfType<EvalResult>().ToList();
        if (shown.Count > 0)
            plot.Axes.SetLimitsY(Math.Max(0, 100 * shown.Min(a => a.Mean - a.Std) - 5), Math.Min(100, 100 * shown.Max(a => a.Mean + a.Std) + 2));
        PlotRendering.LegendOutside(plot);
        return plot;
    }
}
