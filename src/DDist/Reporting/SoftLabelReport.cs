using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DDist.Artifacts;
using DDist.Distillation;
using DDist.Evaluation;
using DDist.Pipeline;
using DDist.Recipes;
using DDist.Torch;
using DDist.Torch.IO;

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
        var result = Read(resultPath) ?? throw new FileNotFoundException(
            $"{resultPath}: not found; the run has not finished its evaluation (finish it with `ddist run` on its recipe)", resultPath);
        var distillPath = Path.Combine(methodDir, "distill.json");
        var distill = Read(distillPath) ?? throw new FileNotFoundException($"{distillPath}: not found beside {resultPath}", distillPath);
        using var set = SmallSet.Load(Path.Combine(methodDir, "synthetic.safetensors"));
        string name = recipe.Method.ToUpperInvariant();

        var accuracy = new EvalResult(Number(result, "test_mean", resultPath), Number(result, "test_std", resultPath),
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
                  MarkdownReport.Duration(TimeSpan.FromSeconds(Number(distill, "seconds", distillPath))),
                  kept?.ToString(CultureInfo.InvariantCulture) ?? "last",
                  Inv($"{Number(distill, "updates", distillPath)} updates, {Number(distill, "skipped_over_threshold", distillPath)} skipped over the threshold")]]).Validated(),
            new ReportParagraph((string?)result["note"] ?? ""),
        };
        if (accuracy.Diverged > 0) blocks.Add(new ReportParagraph(MarkdownReport.Diverged));
        if (DistillSelection.Load(name, distillPath) is { } selection) blocks.AddRange(MarkdownReport.SelectionSection([selection], "matching.evalIterations"));
        var lossPath = Path.Combine(methodDir, "loss.json");
        if (File.Exists(lossPath)) blocks.AddRange(MarkdownReport.LossSection([(name, LossCurve.Load(lossPath))], dir));
        blocks.AddRange(Labels(set));
        blocks.AddRange(Images(set, dir));

        var path = Path.Combine(dir, MarkdownReport.ReportFile);
        AtomicFile.WriteAllText(path, MarkdownText.Render(blocks));
        HtmlReport.Write(blocks, dir);
        return path;
    }

    private static List<string> Settings(SoftLabelRecipe r, JsonNode result, JsonNode distill)
    {
        var m = r.Matching;
        var e = r.Experts;
        var list = new List<string>
        {
            Inv($"dataset {r.Dataset}, IPC {r.Ipc}, seed {r.Seed}"),
            Inv($"experts: {e.Count} × {e.Model}, {e.Epochs} epochs") + (e.TrainPerClass is int per ? Inv($" on {per} training images per class") : ""),
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

    /// <summary>How soft the labels are, class by class: the mean probability an image's label gives its own class, and
    /// the other class it gives the most.</summary>
    private static IEnumerable<ReportBlock> Labels(SmallSet set)
    {
        if (set.SoftLabels is not { } soft) return [];
        double[] p;
        long rows, classes;
        using (var scope = new TensorScope())
        using (Tensors.NoGrad())
        {
            var targets = soft.Targets().To(DType.Float64, Device.Cpu);
            (rows, classes) = (targets.Size(0), targets.Size(1));
            p = targets.ToArray<double>();
        }
        var labels = set.Labels.ToArray<long>();
        var table = Enumerable.Range(0, (int)classes).Select(c =>
        {
            var own = Enumerable.Range(0, (int)rows).Where(i => labels[i] == c).ToList();
            if (own.Count == 0) return (IReadOnlyList<string>)[c.ToString(CultureInfo.InvariantCulture), "0", "–", "–"];
            var mean = Enumerable.Range(0, (int)classes).Select(k => own.Average(i => p[i * classes + k])).ToArray();
            int other = Enumerable.Range(0, (int)classes).Where(k => k != c).MaxBy(k => mean[k]);
            return (IReadOnlyList<string>)[c.ToString(CultureInfo.InvariantCulture), own.Count.ToString(CultureInfo.InvariantCulture),
                                           Inv($"{mean[c]:F3}"), Inv($"class {other} ({mean[other]:F3})")];
        }).ToList();
        return
        [
            new ReportHeading(2, "Soft labels"),
            new ReportParagraph($"The targets the evaluation trains on ({(soft.Kind == SoftLabelKind.Logits ? "softmax of the stored logits" : "the stored values")}, " +
                                $"source {soft.Source}), averaged over each class's images: 1.000 would be a hard label. `ddist show` lists every image's largest ones."),
            new ReportTable(["Class", "Images", "Own class", "Largest other class"], table).Validated(),
        ];
    }

    private static IEnumerable<ReportBlock> Images(SmallSet set, string dir)
    {
        using (var grid = ImageGrid.Render(set, new GridOptions { PerClass = 10 }, NormalizationText.TryResolve(set.Info.Normalization)))
            PngFile.Save(grid, Path.Combine(dir, "images.png"));
        return
        [
            new ReportHeading(2, "Images"),
            new ReportParagraph("One row per class, up to 10 images of each, framed in orange (every image is distilled)."),
            new ReportFigure("images.png", "distilled images"),
        ];
    }

    private static JsonNode? Read(string path)
    {
        if (!File.Exists(path)) return null;
        try { return JsonNode.Parse(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty file"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e); }
    }

    private static double Number(JsonNode node, string field, string path)
    {
        try { return node[field]?.GetValue<double>() ?? throw new InvalidDataException($"{path}: field '{field}' missing"); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        { throw new InvalidDataException($"{path}: field '{field}' is not a number", e); }
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
