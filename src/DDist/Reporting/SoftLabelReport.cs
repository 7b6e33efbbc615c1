using System.Globalization;
using System.Text.Json.Nodes;
using DDist.Artifacts;
using DDist.Distillation;
using DDist.Evaluation;
using DDist.Pipeline;
using DDist.Recipes;

namespace DDist.Reporting;

/// <summary>report.md / report.html of a DATM or TESLA folder, from its files alone, so `ddist report DIR` redraws it
/// without the dataset: recipe.json (title, settings), METHOD/result.json (the test accuracy), METHOD/distill.json
/// (updates, skips, time, the evaluations that chose the kept iteration), METHOD/loss.json and
/// METHOD/synthetic.safetensors (the images and how soft their labels are).</summary>
public static class SoftLabelReport
{
    /// <summary>Writes the report into <paramref name="dir"/>; returns the path of report.md.</summary>
    public static string Write(string dir)
    {
        var recipe = SoftLabelRecipe.Load(Path.Combine(dir, FolderRecipe.FileName));
        var methodDir = Path.Combine(dir, recipe.Method);
        var resultPath = Path.Combine(methodDir, "result.json");
        var result = RunFiles.Read(resultPath) ?? throw new FileNotFoundException(
            $"{resultPath}: not found; the run has not finished its evaluation (finish it with `ddist run` on its recipe)", resultPath);
        var distillPath = Path.Combine(methodDir, "distill.json");
        var distill = RunFiles.Read(distillPath) ?? throw new FileNotFoundException($"{distillPath}: not found beside {resultPath}", distillPath);
        using var set = SmallSet.Load(Path.Combine(methodDir, "synthetic.safetensors"));
        string name = recipe.Method.ToUpperInvariant();

        var accuracy = new EvalResult(RunFiles.Number(result, "test_mean", resultPath), RunFiles.Number(result, "test_std", resultPath),
                                      result["accuracies"]?.AsArray().Select(a => a!.GetValue<double>()).ToArray() ?? [],
                                      Diverged: (int)(result["diverged"]?.GetValue<long>() ?? 0));
        int? kept = (int?)result["kept_iteration"]?.GetValue<long>();
        var blocks = new List<ReportBlock>
        {
            new ReportHeading(1, $"{recipe.Name}: {name} on {recipe.Dataset}, IPC {recipe.Ipc}"),
            new ReportBullets(Settings(recipe, result, distill)),
            new ReportHeading(2, "Accuracy (test set, reported only)"),
            new ReportTable(["Method", "Accuracy (%)", "Networks", "Distillation time", "Kept iteration", "Note"],
                [[name, accuracy.Percent(), accuracy.Accuracies.Length.ToString(CultureInfo.InvariantCulture),
                  MarkdownReport.Duration(TimeSpan.FromSeconds(RunFiles.Number(distill, "seconds", distillPath))),
                  kept?.ToString(CultureInfo.InvariantCulture) ?? "last",
                  Inv($"{RunFiles.Number(distill, "updates", distillPath)} updates, {RunFiles.Number(distill, "skipped_over_threshold", distillPath)} skipped over the threshold")]]).Validated(),
            new ReportParagraph((string?)result["note"] ?? ""),
        };
        if (accuracy.Diverged > 0) blocks.Add(new ReportParagraph(MarkdownReport.Diverged));
        if (DistillSelection.Load(name, distillPath) is { } selection) blocks.AddRange(MarkdownReport.SelectionSection([selection], "matching.evalIterations"));
        var lossPath = Path.Combine(methodDir, "loss.json");
        if (File.Exists(lossPath)) blocks.AddRange(MarkdownReport.LossSection([(name, LossCurve.Load(lossPath))], dir));
        blocks.AddRange(SetSections.SoftLabels(set));
        blocks.AddRange(SetSections.Images(set, dir, 10, "distilled images"));

        return MarkdownReport.Save(blocks, dir);
    }

    private static List<string> Settings(SoftLabelRecipe r, JsonNode result, JsonNode distill)
    {
        var m = r.Matching;
        var e = r.Experts;
        var list = new List<string>
        {
            Inv($"dataset {r.Dataset}, IPC {r.Ipc}, seed {r.Seed}"),
            "experts: " + e.Describe() + (e.TrainPerClass is int per ? Inv($" on {per} training images per class") : ""),
            Inv($"matching: {m.Iterations} iterations, {m.SynSteps} student steps against {m.ExpertEpochs} expert epochs, images lr {m.LrImg}, ") +
                (r.Labels == Distillation.SoftLabel.LabelSource.Learned
                    ? Inv($"labels learned from the experts' logits (lr {m.LrY}), updates skipped above a matching loss of {m.Threshold}")
                    : "labels: the target expert's logits, every iteration (TESLA)") + $"; gradient {(string?)distill["gradient"] ?? "?"}",
            "initial images: " + (m.Init == "predicted-correctly" ? "predicted correctly by the experts (DATM)" : "random real images of each class"),
            m.EvalIterations.Length == 0 ? "kept set: the last iteration's (no evaluations during distillation)"
                : Inv($"kept set: the best of iterations {string.Join(", ", m.EvalIterations)}, each scored by {m.SelectionNets} × {m.SelectionEpochs}-epoch network(s) on ") +
                  (m.SelectOnMode == SelectOn.Test ? "the test set (reference protocol)" : Inv($"a validation split ({m.ValidationPerClass} training images per class, held out of the initial images)")),
            Inv($"evaluation: {r.Evaluation.Protocol} protocol, {r.Evaluation.Model}, lr {(double?)result["lr"] ?? double.NaN:G4}, on the soft labels"),
        };
        return list;
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
