using System.Globalization;
using DDist.Artifacts;
using DDist.Selection;
using DDist.Torch.IO;

namespace DDist.Reporting;

/// <summary>Writes report.md and report.html (the same content; the HTML self-contained) with the comparison table
/// (Random / window-only / MTT / SelMatch), stage times, the accuracy-vs-β plot, the loss curves and the
/// selected-vs-distilled image grids, all PNGs beside them.</summary>
public static class MarkdownReport
{
    public const string ReportFile = "report.md";

    /// <returns>The path of report.md (report.html is beside it).</returns>
    public static string Write(ReportInput input, string directory)
    {
        Directory.CreateDirectory(directory);
        return Save(Build(input, directory), directory);
    }

    /// <summary>Writes the blocks as report.md and report.html into <paramref name="directory"/>; returns report.md's path.</summary>
    internal static string Save(IReadOnlyList<ReportBlock> blocks, string directory)
    {
        var path = Path.Combine(directory, ReportFile);
        AtomicFile.WriteAllText(path, MarkdownText.Render(blocks));
        HtmlReport.Write(blocks, directory);
        return path;
    }

    /// <summary>The report's blocks; the PNGs its figures name are written into <paramref name="directory"/>.</summary>
    public static IReadOnlyList<ReportBlock> Build(ReportInput input, string directory)
    {
        var blocks = new List<ReportBlock> { new ReportHeading(1, input.Title) };
        if (input.Settings.Count > 0) blocks.Add(new ReportBullets(input.Settings));

        blocks.Add(new ReportHeading(2, $"Accuracy ({input.EvaluatedOn})"));
        blocks.Add(new ReportTable(["Method", "Accuracy (%)", "Networks", "Time to make the set", "Note"],
            input.Rows.Select(r => (IReadOnlyList<string>)[r.Method, r.Accuracy.Percent(),
                r.Accuracy.Accuracies.Length.ToString(CultureInfo.InvariantCulture), Duration(r.MakeTime), r.Note]).ToList()).Validated());
        if (input.Rows.Any(r => r.Accuracy.Diverged > 0)) blocks.Add(new ReportParagraph(Diverged));

        if (input.CrossArchitectures.Count > 0) AddCrossArchitectures(blocks, input, directory);

        if (input.StageTimes.Count > 0)
        {
            StageTimesPlot.Save(Path.Combine(directory, "stages.png"), input.StageTimes);
            blocks.Add(new ReportHeading(2, "Stage times"));
            blocks.Add(new ReportParagraph("Each stage's time adds up the wall time of every process that worked on it: the runs before a " +
                                           "resume, and scheduler tasks, which count each even when they ran at the same time. A process killed " +
                                           "with SIGKILL leaves its time uncounted." +
                                           (input.StagePeakMiB.Count == 0 ? "" : " Peak tensor memory is the most the tensors of the process " +
                                            "held at once during the stage, on the run's device, the loaded dataset included: what a larger IPC, " +
                                            "batch or syn_steps has to fit in. Memory kept outside tensors (oneDNN or cuDNN workspaces, the runtime) comes on top.")));
            if (input.StagePeakMiB.Count == 0)
                blocks.Add(new ReportTable(["Stage", "Time"], input.StageTimes.Select(s => (IReadOnlyList<string>)[s.Stage, Duration(s.Time)]).ToList(),
                    ["total", Duration(TimeSpan.FromTicks(input.StageTimes.Sum(s => s.Time.Ticks)))]).Validated());
            else
                blocks.Add(new ReportTable(["Stage", "Time", "Peak tensor memory"],
                    input.StageTimes.Select(s => (IReadOnlyList<string>)[s.Stage, Duration(s.Time),
                        input.StagePeakMiB.TryGetValue(s.Stage, out var mib) ? MemoryText.MiB(mib) : "–"]).ToList(),
                    ["total", Duration(TimeSpan.FromTicks(input.StageTimes.Sum(s => s.Time.Ticks))),
                     MemoryText.MiB(input.StagePeakMiB.Values.Max()) + " (most)"]).Validated());
            blocks.Add(new ReportFigure("stages.png", "time per stage"));
        }

        if (input.Window is { Points.Count: > 0 }) AddWindow(blocks, input, directory);
        AddLoss(blocks, input, directory);
        AddSelections(blocks, input);
        AddGrids(blocks, input, directory);
        return blocks;
    }

    /// <summary>Each compared set's accuracy with the evaluation's model and with every other architecture listed.</summary>
    private static void AddCrossArchitectures(List<ReportBlock> blocks, ReportInput input, string dir)
    {
        string[] models = [input.EvaluationModel ?? "evaluation model", .. input.CrossArchitectures.Select(c => c.Model)];
        CrossArchitecturePlot.Save(Path.Combine(dir, "architectures.png"), models, input.Rows.Select(r =>
            (r.Method, (IReadOnlyList<Evaluation.EvalResult?>)[r.Accuracy, .. input.CrossArchitectures.Select(c => c.Rows.FirstOrDefault(x => x.Method == r.Method)?.Accuracy)])).ToList());
        blocks.Add(new ReportHeading(2, "Across architectures"));
        blocks.Add(new ReportParagraph("The same sets trained with other networks, the protocol, epochs and network seeds otherwise the " +
                                       Inv($"evaluation's (accuracy in %, mean ± std over {input.Rows.FirstOrDefault()?.Accuracy.Accuracies.Length ?? 0} networks).") +
                                       (Recipes.EvalSettings.FixedLrNote(input.CrossArchitectures.Select(c => c.Model)) is { } note ? " " + note : "")));
        static string Cell(MethodRow? r) => r is null ? "–" : r.Accuracy.Percent();
        blocks.Add(new ReportTable(
            ["Method", .. models],
            input.Rows.Select(r => (IReadOnlyList<string>)[r.Method, Cell(r), .. input.CrossArchitectures.Select(c => Cell(c.Rows.FirstOrDefault(x => x.Method == r.Method)))])
                 .ToList()).Validated());
        if (input.CrossArchitectures.Any(c => c.Rows.Any(r => r.Accuracy.Diverged > 0))) blocks.Add(new ReportParagraph(Diverged));
        blocks.Add(new ReportFigure("architectures.png", "accuracy by architecture"));
    }

    /// <summary>Said under a table where any network diverged, so its chance accuracy is not read as the set's.</summary>
    internal const string Diverged =
        "A network marked diverged trained to a non-finite loss: its weights went NaN and it tests at chance (or near it), which " +
        "says the step size was too large for that network, not that its set is poor. Its accuracy is counted in the mean as " +
        "measured. A smaller step size (evaluation.lr; evaluation.crossArchitectureLr for the other architectures) trains it.";

    private static void AddWindow(List<ReportBlock> blocks, ReportInput input, string dir)
    {
        var w = input.Window!;
        // Several score kinds searched with β: a column says which ranking cut each window.
        bool byKind = WindowPointKinds.Several(w.Points);
        var pts = WindowPointKinds.InOrder(w.Points);
        WindowPlot.Save(Path.Combine(dir, "window.png"), pts, w.EvaluatedOn, input.UsedBeta, input.RandomOnChoice, input.UsedScoreKind);
        blocks.Add(new ReportHeading(2, "Sliding window"));
        string by = byKind ? $" by {w.BestScoreKind} scores" : "";
        var used = input.UsedBeta is double u && (u != w.BestBeta || byKind && input.UsedScoreKind != w.BestScoreKind)
            ? Inv($" The distillation used β = {u:0.###}{(byKind ? $" by {input.UsedScoreKind} scores" : "")}, set by the recipe.") : "";
        blocks.Add(new ReportParagraph(Inv($"Best β = {w.BestBeta:0.###}{by} ({w.EvaluatedOn}); search cost {w.TrainingCost:N0} image presentations{(w.Complete ? "" : " (grid incomplete)")}.") + used));
        blocks.Add(new ReportFigure("window.png", "accuracy vs beta"));
        IReadOnlyList<string> Row(string? kind, string beta, string accuracy, string nets) => byKind ? [kind ?? "", beta, accuracy, nets] : [beta, accuracy, nets];
        var rows = pts.Select(p => Row(p.ScoreKind, Inv($"{p.Beta:0.###}"), p.Result.Percent(), p.Accuracies.Count.ToString(CultureInfo.InvariantCulture))).ToList();
        var random = input.RandomOnChoice;
        if (random is not null)
            rows.Add(Row("random pick (reference)", byKind ? "" : "random pick (reference)", random.Percent(), random.Accuracies.Length.ToString(CultureInfo.InvariantCulture)));
        blocks.Add(new ReportTable(byKind ? ["Scores", "β", "Accuracy (%)", "Networks"] : ["β", "Accuracy (%)", "Networks"], rows).Validated());
        if (pts.Any(p => p.Diverged > 0) || random?.Diverged > 0) blocks.Add(new ReportParagraph(Diverged));
        if (random is not null)
            blocks.Add(new ReportParagraph("The reference row is a random pick of the same size (the Random row's set) trained as each β was, " +
                                           "on the same split with the same seeds: " + WindowAgainstRandom.Verdict(w.Best()!, random, byKind) + "."));
        if (input.Halving is { } h) AddHalving(blocks, h);
    }

    /// <summary>The successive-halving rounds beside the full grid; where it searched several score kinds, each
    /// candidate is named by its kind and β.</summary>
    private static void AddHalving(List<ReportBlock> blocks, SuccessiveHalvingResult h)
    {
        static string Candidate(string? kind, double beta) => kind is null ? Inv($"{beta:0.###}") : Inv($"{kind} {beta:0.###}");
        blocks.Add(new ReportParagraph(h.Summary()));
        blocks.Add(new ReportTable(["Round", "Epochs", h.BestScoreKind is null ? "β evaluated" : "Score kind and β evaluated", "Kept"],
            h.Rounds.Select(r => (IReadOnlyList<string>)[r.Round.ToString(CultureInfo.InvariantCulture), r.Budget.Epochs.ToString(CultureInfo.InvariantCulture),
                string.Join(", ", r.Points.Select(p => Candidate(r.KeptScoreKinds is null ? null : p.ScoreKind, p.Beta) + Inv($": {100 * p.Mean:F1}") + p.Result.DivergedNote())),
                string.Join(", ", r.Kept.Select((b, i) => Candidate(r.KeptScoreKinds?[i], b)))]).ToList()).Validated());
    }

    private static void AddLoss(List<ReportBlock> blocks, ReportInput input, string dir)
    {
        var curves = new List<(string Method, IReadOnlyList<Distillation.LossPoint> Curve)>();
        if (input.SelMatchLoss is { Count: > 0 } s) curves.Add(("SelMatch", s));
        if (input.MttLoss is { Count: > 0 } m) curves.Add(("MTT", m));
        blocks.AddRange(LossSection(curves, dir));
    }

    /// <summary>The loss plot (loss.png, written into <paramref name="dir"/>) with each curve's start, end and learned
    /// step size; nothing without a curve.</summary>
    /// <param name="text">The panels' titles and how the report names them (trajectory matching's by default).</param>
    internal static IEnumerable<ReportBlock> LossSection(IReadOnlyList<(string Method, IReadOnlyList<Distillation.LossPoint> Curve)> curves, string dir,
                                                         LossPlotText? text = null)
    {
        if (curves.Count == 0) return [];
        text ??= LossPlotText.Matching;
        LossPlot.Save(Path.Combine(dir, "loss.png"), curves, text);
        return
        [
            new ReportHeading(2, "Distillation loss"),
            new ReportFigure("loss.png", text.Caption),
            new ReportBullets(curves.Select(c => Inv(
                $"{c.Method}: loss {Mean(c.Curve.Take(10)):F4} over the first 10 iterations, {Mean(c.Curve.TakeLast(10)):F4} over the last 10; {text.LrName} {c.Curve[^1].Lr:G4}.")).ToList()),
        ];
    }

    private static void AddSelections(List<ReportBlock> blocks, ReportInput input) => blocks.AddRange(SelectionSection(input.Selections, "distill.evalIterations"));

    /// <summary>The accuracy each distillation's set reached at the iterations it was evaluated at, the kept one marked:
    /// whether more iterations were still helping, and how far the kept set is from the start. <paramref name="field"/>
    /// names the recipe field that lists the iterations.</summary>
    internal static IEnumerable<ReportBlock> SelectionSection(IReadOnlyList<DistillSelection> selections, string field)
    {
        if (selections.Count == 0) return [];
        var iterations = selections.SelectMany(s => s.Points.Select(p => p.Iteration)).Distinct().Order().ToList();
        var columns = selections.SelectMany(s => s.Series().Select(c => (c.Title, Selection: s, c.Average))).ToList();
        string Cell(DistillSelection s, bool average, int it) => s.Points.FirstOrDefault(p => p.Iteration == it && p.Average == average) is not { } p ? "–"
            : Inv($"{100 * p.Mean:F2} ± {100 * p.Std:F2}") + p.Notes(s.BestIteration, s.KeptAverage);
        var on = selections.Select(s => s.SelectedOn).Distinct().ToList();
        string averages = columns.Any(c => c.Average)
            ? " A moving-average column scores the images' moving average (FTD) at the same points, with the same networks (at iteration 0 it is the images)."
            : "";
        return
        [
            new ReportHeading(2, "Accuracy during distillation"),
            new ReportParagraph($"Each set as it stood at the evaluated iterations ({field}), trained as the best-iteration " +
                                $"choice trains it, on the {(on.Count == 1 ? on[0] : string.Join(" / ", on))}; the one marked kept is the set the final evaluation used.{averages}"),
            new ReportTable(["Iteration", .. columns.Select(c => c.Title)],
                iterations.Select(it => (IReadOnlyList<string>)[it.ToString(CultureInfo.InvariantCulture), .. columns.Select(c => Cell(c.Selection, c.Average, it))]).ToList()).Validated(),
        ];
    }

    private static void AddGrids(List<ReportBlock> blocks, ReportInput input, string dir)
    {
        var panels = new List<(string Title, SmallSet Set, string File)>();
        if (input.Selected is not null) panels.Add((input.Panels[0].Title, input.Selected, input.Panels[0].File));
        if (input.Distilled is not null) panels.Add((input.Panels[1].Title, input.Distilled, input.Panels[1].File));
        if (panels.Count == 0) return;
        var options = new GridOptions { PerClass = input.GridPerClass };
        var grids = panels.Select(p => ImageGrid.Render(p.Set, options, input.Normalization)).ToList();
        try
        {
            for (int i = 0; i < grids.Count; i++) PngFile.Save(grids[i], Path.Combine(dir, panels[i].File));
            using var composed = ImageGrid.Compose(panels.Select((p, i) => (p.Title, grids[i])).ToList());
            PngFile.Save(composed, Path.Combine(dir, "grids.png"));
        }
        finally
        {
            foreach (var g in grids) g.Dispose();
        }
        blocks.Add(new ReportHeading(2, "Images"));
        blocks.Add(new ReportParagraph($"One row per class, up to {input.GridPerClass} images of each (where a class has both, half distilled and " +
                                       "half selected). Distilled images are framed in orange, real (selected) ones in grey."));
        blocks.Add(new ReportFigure("grids.png", "selected and distilled images"));
    }

    private static double Mean(IEnumerable<Distillation.LossPoint> points) => points.Average(p => p.Loss);

    internal static string Duration(TimeSpan t) =>
        t.TotalHours >= 1 ? Inv($"{(int)t.TotalHours} h {t.Minutes:D2} min") : t.TotalMinutes >= 1 ? Inv($"{(int)t.TotalMinutes} min {t.Seconds:D2} s") : Inv($"{t.TotalSeconds:F1} s");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
