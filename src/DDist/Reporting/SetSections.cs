using System.Globalization;
using DDist.Artifacts;
using DDist.Torch;

namespace DDist.Reporting;

/// <summary>Report sections drawn from a distilled set alone, shared by the reports of the methods that make one set
/// (DATM / TESLA, DD / SLD): how soft its labels are, and its images as a grid.</summary>
internal static class SetSections
{
    /// <summary>How soft the labels are, class by class: the mean target an image gives its own class, and the other
    /// class it gives the most. Nothing for a hard-label set.</summary>
    public static IEnumerable<ReportBlock> SoftLabels(SmallSet set)
    {
        if (set.SoftLabels is not { } soft) return [];
        double[] p;
        int rows, classes;
        using (var scope = new TensorScope())
        using (Tensors.NoGrad())
        {
            var targets = soft.Targets().To(DType.Float64, Device.Cpu);
            (rows, classes) = ((int)targets.Size(0), (int)targets.Size(1));
            p = targets.ToArray<double>();
        }
        var labels = set.Labels.ToArray<long>();
        var table = Enumerable.Range(0, classes).Select(c =>
        {
            var own = Enumerable.Range(0, rows).Where(i => labels[i] == c).ToList();
            if (own.Count == 0) return (IReadOnlyList<string>)[Inv($"{c}"), "0", "–", "–"];
            var mean = Enumerable.Range(0, classes).Select(k => own.Average(i => p[i * classes + k])).ToArray();
            int other = Enumerable.Range(0, classes).Where(k => k != c).MaxBy(k => mean[k]);
            return (IReadOnlyList<string>)[Inv($"{c}"), Inv($"{own.Count}"), Inv($"{mean[c]:F3}"), Inv($"class {other} ({mean[other]:F3})")];
        }).ToList();
        return
        [
            new ReportHeading(2, "Soft labels"),
            new ReportParagraph($"The targets the evaluation trains on, averaged over each class's images (source {soft.Source}): " +
                                (soft.Kind == SoftLabelKind.Logits
                                    ? "softmax of the stored logits, so a hard label would give its own class 1.000."
                                    : "the stored values, learned without constraint (they need not sum to 1, and may exceed 1 or go below 0); a hard label is 1 for its class and 0 elsewhere.") +
                                " `ddist show` lists every image's largest ones."),
            new ReportTable(["Class", "Images", "Own class", "Largest other class"], table).Validated(),
        ];
    }

    /// <summary>The set as a grid (images.png in <paramref name="dir"/>), one row per class, up to <paramref name="perClass"/> images each.</summary>
    public static IEnumerable<ReportBlock> Images(SmallSet set, string dir, int perClass, string caption)
    {
        using (var grid = ImageGrid.Render(set, new GridOptions { PerClass = perClass }, NormalizationText.TryResolve(set.Info.Normalization)))
            PngFile.Save(grid, Path.Combine(dir, "images.png"));
        return
        [
            new ReportHeading(2, "Images"),
            new ReportParagraph(Inv($"One row per class, {(perClass == 1 ? "its image" : $"up to {perClass} images of each")}, framed in orange (every image is distilled).")),
            new ReportFigure("images.png", caption),
        ];
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
