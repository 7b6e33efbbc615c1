using System.Globalization;
using System.Text.Json.Nodes;
using DDist.Artifacts;
using DDist.Distillation;
using DDist.Evaluation;
using DDist.Pipeline;
using DDist.Recipes;

namespace DDist.Reporting;

/// <summary>report.md / report.html of a DD or SLD folder (Wang et al. 2018; Sucholutsky and Schonlau 2021), from its
/// files alone, so `ddist report DIR` redraws it: recipe.json (title, settings), distill.json (the accuracy of fresh
/// networks trained with exactly the learned steps, and at step 0; time; the learned step sizes), loss.json and
/// synthetic.safetensors (the images in step order and, for SLD, the learned labels).</summary>
public static class UnrolledReport
{
    /// <summary>Writes the report into <paramref name="dir"/>; returns the path of report.md.</summary>
    public static string Write(string dir)
    {
        var recipe = UnrolledRecipe.Load(Path.Combine(dir, FolderRecipe.FileName));
        var distillPath = Path.Combine(dir, "distill.json");
        var distill = RunFiles.Read(distillPath) ?? throw new FileNotFoundException(
            $"{distillPath}: not found; the run has not finished (finish it with `ddist run` on its recipe)", distillPath);
        using var set = SmallSet.Load(Path.Combine(dir, "synthetic.safetensors"));
        string method = ((string?)distill["method"] ?? recipe.Method).ToUpperInvariant();
        var after = distill["accuracy"] ?? throw new InvalidDataException($"{distillPath}: field 'accuracy' missing");
        var before = distill["accuracy_step0"] ?? throw new InvalidDataException($"{distillPath}: field 'accuracy_step0' missing");
        var learned = new EvalResult(RunFiles.Number(after, "mean", distillPath), RunFiles.Number(after, "std", distillPath),
                                     after["accuracies"]?.AsArray().Select(a => a!.GetValue<double>()).ToArray() ?? [],
                                     Diverged: (int)(after["diverged"]?.GetValue<long>() ?? 0));
        var step0 = new EvalResult(RunFiles.Number(before, "mean", distillPath), RunFiles.Number(before, "std", distillPath), []);
        var steps = distill["step_sizes"]?.AsArray().Select(a => a!.GetValue<double>()).ToArray() ?? [];
        string time = MarkdownReport.Duration(TimeSpan.FromSeconds(RunFiles.Number(distill, "seconds", distillPath)));
        string nets = Inv($"{learned.Accuracies.Length}");

        var u = recipe.Unrolled;
        var blocks = new List<ReportBlock>
        {
            new ReportHeading(1, $"{recipe.Name}: {method} on {recipe.Dataset}"),
            new ReportBullets(
            [
                Inv($"{u.Model}, {u.DistillSteps} × {u.ImagesPerClassPerStep} image(s) per class (one batch per step), replayed for {u.DistillEpochs} epoch(s): {steps.Length} learned step sizes"),
                Inv($"{RunFiles.Number(distill, "iterations", distillPath)} iterations of {u.BatchSize} real images, Adam lr {u.Lr} (images, step sizes{(method == "SLD" ? ", labels" : "")}), α₀ {u.DistillLr}, ") +
                    (u.Init == "known" ? "one fixed network initialisation" : "a new random initialisation every iteration") + $"; gradient by {(string?)distill["gradient"] ?? "?"}",
                (method == "SLD" ? "labels learned with the images (soft-label DD)" : "hard labels") + $"; seed {recipe.Seed}",
                $"evaluation: {(string?)distill["evaluation"] ?? "fresh networks trained with the learned steps"}",
            ]),
            new ReportHeading(2, "Accuracy (test set, reported only)"),
            new ReportTable(["Networks trained", "Accuracy (%)", "Networks", "Distillation time"],
            [
                ["with the learned steps", learned.Percent(), nets, time],
                ["at step 0 (the initialisation, untrained)", step0.Percent(), Inv($"{before["nets"]?.GetValue<long>() ?? 0}"), "–"],
            ]).Validated(),
        };
        if (learned.Diverged > 0) blocks.Add(new ReportParagraph(MarkdownReport.Diverged));
        if (steps.Length > 0)
            blocks.Add(new ReportParagraph("Learned step sizes α, in the order the networks take them: " + string.Join(", ", steps.Select(a => Inv($"{a:G3}"))) + "."));
        var lossPath = Path.Combine(dir, "loss.json");
        if (File.Exists(lossPath))
            blocks.AddRange(MarkdownReport.LossSection([(method, LossCurve.Load(lossPath))], dir, LossPlotText.Unrolled));
        blocks.AddRange(SetSections.SoftLabels(set));
        blocks.AddRange(SetSections.Images(set, dir, Math.Min(20, u.DistillSteps * u.ImagesPerClassPerStep), "distilled images, in step order"));

        return MarkdownReport.Save(blocks, dir);
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
