using System.Globalization;
using System.Text;
using DDist.Artifacts;
using DDist.Torch.IO;

namespace DDist.Reporting;

/// <summary>Writes report.md with the comparison table (Random / window-only / MTT / SelMatch), stage wall times,
/// the accuracy-vs-β plot, the loss curves and the selected-vs-distilled image grids, all PNGs beside it.</summary>
public static class MarkdownReport
{
    public const string ReportFile = "report.md";

    /// <returns>The path of report.md.</returns>
    public static string Write(ReportInput input, string directory)
    {
        Directory.CreateDirectory(directory);
        var md = new StringBuilder();
        md.AppendLine($"# {input.Title}").AppendLine();
        foreach (var s in input.Settings) md.AppendLine($"- {s}");
        if (input.Settings.Count > 0) md.AppendLine();

        md.AppendLine($"## Accuracy ({input.EvaluatedOn})").AppendLine();
        md.AppendLine("| Method | Accuracy (%) | Networks | Time to make the set | Note |");
        md.AppendLine("|---|---|---|---|---|");
        foreach (var r in input.Rows)
            md.AppendLine(Inv($"| {r.Method} | {100 * r.Accuracy.Mean:F2} ± {100 * r.Accuracy.Std:F2} | {r.Accuracy.Accuracies.Count} | {Duration(r.MakeTime)} | {r.Note} |"));
        md.AppendLine();

        if (input.StageTimes.Count > 0)
        {
            md.AppendLine("## Stage wall times").AppendLine();
            md.AppendLine("| Stage | Time |").AppendLine("|---|---|");
            foreach (var (stage, time) in input.StageTimes) md.AppendLine($"| {stage} | {Duration(time)} |");
            md.AppendLine(Inv($"| **total** | **{Duration(TimeSpan.FromTicks(input.StageTimes.Sum(s => s.Time.Ticks)))}** |")).AppendLine();
        }

        if (input.Window is { Points.Count: > 0 } w) WriteWindow(md, input, w, directory);
        WriteLoss(md, input, directory);
        WriteGrids(md, input, directory);

        var path = Path.Combine(directory, ReportFile);
        AtomicFile.WriteAllText(path, md.ToString());
        return path;
    }

    private static void WriteWindow(StringBuilder md, ReportInput input, Selection.WindowSearchResult w, string dir)
    {
        var pts = w.Points.OrderBy(p => p.Beta).ToList();
        var series = new List<PlotSeries> { new("window", pts.Select(p => p.Beta).ToArray(), pts.Select(p => 100 * p.Mean).ToArray(), Rgb.Blue, pts.Select(p => 100 * p.Std).ToArray()) };
        LinePlot.Render(new LinePlotSpec("ACCURACY OF THE WINDOW VS BETA", "BETA (WINDOW OFFSET)", "ACC %", series)).SavePng(Path.Combine(dir, "window.png"));
        md.AppendLine("## Sliding window").AppendLine();
        md.AppendLine(Inv($"Best β = {w.BestBeta:0.###} ({w.EvaluatedOn}); search cost {w.TrainingCost:N0} image presentations{(w.Complete ? "" : " (grid incomplete)")}.")).AppendLine();
        md.AppendLine("![accuracy vs beta](window.png)").AppendLine();
        md.AppendLine("| β | Accuracy (%) | Networks |").AppendLine("|---|---|---|");
        foreach (var p in pts) md.AppendLine(Inv($"| {p.Beta:0.###} | {100 * p.Mean:F2} ± {100 * p.Std:F2} | {p.Accuracies.Count} |"));
        md.AppendLine();
        if (input.Halving is { } h)
        {
            md.AppendLine(Inv($"Successive halving chose β = {h.BestBeta:0.###} for {h.TrainingCost:N0} image presentations, against {h.FullGridCost:N0} for the full grid ")
                          + (h.SameAsFullGrid is bool same ? (same ? "(same β as the full grid)." : Inv($"(the full grid chose β = {h.FullGridBestBeta:0.###}).")) : "(full grid not complete)."));
            md.AppendLine();
            md.AppendLine("| Round | Epochs | β evaluated | Kept |").AppendLine("|---|---|---|---|");
            foreach (var r in h.Rounds)
                md.AppendLine(Inv($"| {r.Round} | {r.Budget.Epochs} | {string.Join(", ", r.Points.Select(p => $"{p.Beta:0.###}: {100 * p.Mean:F1}"))} | {string.Join(", ", r.Kept.Select(b => b.ToString("0.###", CultureInfo.InvariantCulture)))} |"));
            md.AppendLine();
        }
    }

    private static void WriteLoss(StringBuilder md, ReportInput input, string dir)
    {
        var series = new List<PlotSeries>();
        if (input.SelMatchLoss is { Count: > 0 } s) series.Add(new("selmatch", s.Select(p => (double)p.Iteration).ToArray(), s.Select(p => p.Loss).ToArray(), Rgb.Orange, Markers: false));
        if (input.MttLoss is { Count: > 0 } m) series.Add(new("mtt", m.Select(p => (double)p.Iteration).ToArray(), m.Select(p => p.Loss).ToArray(), Rgb.Green, Markers: false));
        if (series.Count == 0) return;
        LinePlot.Render(new LinePlotSpec("TRAJECTORY MATCHING LOSS", "ITERATION", "LOSS", series)).SavePng(Path.Combine(dir, "loss.png"));
        md.AppendLine("## Distillation loss").AppendLine();
        md.AppendLine("![matching loss](loss.png)").AppendLine();
        foreach (var (name, curve) in new[] { ("SelMatch", input.SelMatchLoss), ("MTT", input.MttLoss) })
            if (curve is { Count: > 0 })
                md.AppendLine(Inv($"- {name}: loss {Mean(curve.Take(10)):F4} over the first 10 iterations, {Mean(curve.TakeLast(10)):F4} over the last 10; learned step size {curve[^1].Lr:G4}."));
        md.AppendLine();
    }

    private static void WriteGrids(StringBuilder md, ReportInput input, string dir)
    {
        var panels = new List<(string Title, SmallSet Set)>();
        if (input.Selected is not null) panels.Add(("WINDOW SELECTION (REAL)", input.Selected));
        if (input.Distilled is not null) panels.Add(("SELMATCH (ORANGE = DISTILLED)", input.Distilled));
        if (panels.Count == 0) return;
        var options = new GridOptions { PerClass = input.GridPerClass };
        var grids = panels.Select(p => ImageGrid.Render(p.Set, options, input.Normalization)).ToList();
        const int header = 30, gap = 24;
        var canvas = new Canvas(grids.Sum(g => g.Width) + gap * (grids.Count - 1), grids.Max(g => g.Height) + header, Rgb.White);
        int x = 0;
        for (int i = 0; i < grids.Count; i++)
        {
            canvas.DrawText(x + 4, 8, panels[i].Title, Rgb.Black, 2);
            canvas.Blit(grids[i], x, header);
            grids[i].SavePng(Path.Combine(dir, i == 0 && input.Selected is not null ? "selected.png" : "selmatch.png"));
            x += grids[i].Width + gap;
        }
        canvas.SavePng(Path.Combine(dir, "grids.png"));
        md.AppendLine("## Images").AppendLine();
        md.AppendLine($"One row per class, {input.GridPerClass} images of each class (for SelMatch half distilled, half selected). Distilled images are framed in orange, real (selected) ones in grey.").AppendLine();
        md.AppendLine("![selected and distilled images](grids.png)").AppendLine();
    }

    private static double Mean(IEnumerable<Distillation.LossPoint> points) => points.Average(p => p.Loss);

    private static string Duration(TimeSpan t) =>
        t.TotalHours >= 1 ? Inv($"{(int)t.TotalHours} h {t.Minutes:D2} min") : t.TotalMinutes >= 1 ? Inv($"{(int)t.TotalMinutes} min {t.Seconds:D2} s") : Inv($"{t.TotalSeconds:F1} s");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
