using DDist.Evaluation;
using DDist.Selection;

namespace DDist.Reporting;

/// <summary>Accuracy of the pure window selection against β (Lee et al. 2024, SelMatch, Fig. 3): mean over the
/// evaluation networks with ± one standard deviation as error bars, the β the distillation used marked, and a random
/// pick of the same size trained the same way as a horizontal reference. Points of several score kinds (a search that
/// chose the kind with β) are drawn as one line per kind.</summary>
public static class WindowPlot
{
    /// <param name="usedScoreKind">The kind the used β is of, named beside it where several kinds were searched.</param>
    public static byte[] Render(IReadOnlyList<WindowPoint> points, string evaluatedOn, double? usedBeta = null, EvalResult? random = null,
                                int width = 800, int height = 480, string? usedScoreKind = null) =>
        PlotRendering.Png(Build(points, evaluatedOn, usedBeta, random, usedScoreKind), width, height);

    public static void Save(string path, IReadOnlyList<WindowPoint> points, string evaluatedOn, double? usedBeta = null, EvalResult? random = null,
                            string? usedScoreKind = null) =>
        PngFile.Save(Render(points, evaluatedOn, usedBeta, random, usedScoreKind: usedScoreKind), path);

    /// <summary>The plot before rendering (tests map data coordinates to pixels through it).</summary>
    internal static ScottPlot.Plot Build(IReadOnlyList<WindowPoint> points, string evaluatedOn, double? usedBeta, EvalResult? random = null,
                                         string? usedScoreKind = null)
    {
        if (points.Count == 0) throw new ArgumentException("no window points to plot", nameof(points));
        var plot = PlotRendering.NewPlot("Window selection: accuracy vs β", "β (window offset in the hardest-first order: β = 0 is the hardest)",
                                         $"accuracy on {evaluatedOn} (%)");
        bool byKind = WindowPointKinds.Several(points);
        var kinds = points.GroupBy(p => byKind ? p.ScoreKind : null).ToList();
        for (int k = 0; k < kinds.Count; k++)
        {
            var sorted = kinds[k].OrderBy(p => p.Beta).ToArray();
            PlotRendering.MeanWithErrorBars(plot, sorted.Select(p => p.Beta).ToArray(), sorted.Select(p => 100 * p.Mean).ToArray(),
                sorted.Select(p => 100 * p.Std).ToArray(), PlotRendering.Color(k == 0 ? 0 : k + 1),   // colour 1 is the random pick's
                (kinds.Count > 1 ? $"{kinds[k].Key} scores: " : "") + $"mean ± std ({sorted.Max(p => p.Accuracies.Count)} nets)");
        }
        if (usedBeta is double b)
        {
            var marker = plot.Add.VerticalLine(b, 1.5f, PlotRendering.ToColor(Rgb.Red), ScottPlot.LinePattern.Dashed);
            marker.LegendText = $"β = {b:0.###} used" + (kinds.Count > 1 && usedScoreKind is not null ? $" ({usedScoreKind})" : "");
        }
        if (random is not null)
        {
            var reference = plot.Add.HorizontalLine(100 * random.Mean, 2f, PlotRendering.Color(1), ScottPlot.LinePattern.Dashed);
            reference.LegendText = $"random pick: {100 * random.Mean:F2} %";
        }
        PlotRendering.LegendOutside(plot);
        return plot;
    }
}
