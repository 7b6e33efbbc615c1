using System.Globalization;
using DDist.Artifacts;

namespace DDist.Cli.Commands;

/// <summary>Each image's largest label targets, for `ddist show` (soft-label sets only).</summary>
internal static class SoftLabelText
{
    public sealed record LabelValue(int Class, double Value);
    public sealed record ImageTop(int Image, int Class, LabelValue[] Labels);

    public static ImageTop[]? TopLabels(SmallSet set, int k)
    {
        if (set.SoftLabels is not { } soft) return null;
        var classes = set.Labels.ToArray<long>();
        return Enumerable.Range(0, set.Count).Select(i => new ImageTop(i, (int)classes[i], soft.Top(i, k).Select(p => new LabelValue(p.Class, p.Value)).ToArray())).ToArray();
    }

    public static void Write(TextWriter w, SmallSet set, ImageTop[]? top)
    {
        if (set.SoftLabels is not { } soft || top is null) return;
        w.WriteLine(soft.Kind == SoftLabelKind.Logits
            ? $"soft labels ({soft.Source}): softmax of {(soft.Source.Contains("tesla", StringComparison.OrdinalIgnoreCase) ? "the expert's (teacher's) logits" : "learned logits")}; top {top[0].Labels.Length} per image"
            : $"soft labels ({soft.Source}): raw learned targets; top {top[0].Labels.Length} per image");
        foreach (var t in top)
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  image {t.Image,4} (class {t.Class}): ") +
                        string.Join(", ", t.Labels.Select(l => string.Create(CultureInfo.InvariantCulture, $"{l.Class} {l.Value:F3}"))));
    }
}
