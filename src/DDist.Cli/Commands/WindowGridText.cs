using System.Globalization;
using DDist.Pipeline;
using DDist.Pipeline.Stages;
using DDist.Selection;

namespace DDist.Cli.Commands;

/// <summary>The window search's grid as `ddist window` prints it: every point (by score kind where several were
/// searched), the random pick trained the same way, the chosen point marked, what successive halving chose where the
/// recipe runs it, and where the plot is — what the report shows, before there is one.</summary>
internal static class WindowGridText
{
    public static void Print(TextWriter w, string outDir)
    {
        var folder = new RunFolder(outDir);
        if (WindowSearch.LoadSummary(folder.Window) is not { } grid) return;
        var state = PipelineState.Load(outDir);
        bool byKind = WindowPointKinds.Several(grid.Points);
        var inv = CultureInfo.InvariantCulture;
        w.WriteLine();
        w.WriteLine($"window search on the {grid.EvaluatedOn}: each all-real window's accuracy, mean ± std over its networks");
        int width = byKind ? 22 : 6;
        string Label(string? kind, string beta) => (byKind ? $"{kind,-16}{beta}" : beta).PadRight(width);
        w.WriteLine($"  {Label("scores", "β")}accuracy (%)");
        foreach (var p in WindowPointKinds.InOrder(grid.Points))
        {
            bool chosen = p.Beta == state.ChosenBeta && (!byKind || p.ScoreKind == state.ChosenScoreKind);
            w.WriteLine(string.Format(inv, "  {0}{1,6:F2} ± {2:F2}{3}{4}", Label(p.ScoreKind, p.Beta.ToString("0.###", inv)), 100 * p.Mean, 100 * p.Std,
                                      p.Result.DivergedNote(), chosen ? "  <- chosen" : ""));
        }
        if (state.RandomOnChoice is { } random)   // trained as every point was: the reference the grid is read against
            w.WriteLine(string.Format(inv, "  {0}{1,6:F2} ± {2:F2}{3}", (byKind ? "random pick" : "random").PadRight(width), 100 * random.Mean, 100 * random.Std,
                                      random.DivergedNote()));
        if (grid.Points.Any(p => p.Diverged > 0))
            w.WriteLine("  a diverged network trained to a non-finite loss and tests at chance: the step size is too large for it");
        if (state.Halving is { } halving) w.WriteLine(halving.Summary());
        if (File.Exists(ChooseBetaStage.PlotFile(folder))) w.WriteLine($"plot: {Path.GetFullPath(ChooseBetaStage.PlotFile(folder))}");
    }
}
