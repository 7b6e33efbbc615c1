using System.Globalization;
using System.Text.RegularExpressions;
using DDist.Data;

namespace DDist.Reporting;

/// <summary>Recovers the per-channel mean/std from the text a SmallSet records as its normalisation, so its images
/// can be shown as pixels again.</summary>
public static partial class NormalizationText
{
    /// <summary>A preset name ("fashion-mnist-dc", "cifar10", ...) or "mean=[a, b, c] std=[d, e, f]". Null for
    /// anything else (e.g. "zca", "none" is the identity), in which case pictures fall back to min–max scaling.</summary>
    public static Normalization? TryResolve(string text)
    {
        if (Normalization.Presets.FirstOrDefault(p => string.Equals(p.Name, text.Trim(), StringComparison.OrdinalIgnoreCase)) is { } preset)
            return preset;
        var m = Pattern().Match(text);
        if (!m.Success) return null;
        float[] Parse(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                                    .Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var mean = Parse(m.Groups[1].Value);
        var std = Parse(m.Groups[2].Value);
        return mean.Length == std.Length && mean.Length > 0 ? new Normalization(text, mean, std) : null;
    }

    [GeneratedRegex(@"mean\s*=\s*\[([^\]]*)\]\s*,?\s*std\s*=\s*\[([^\]]*)\]")] private static partial Regex Pattern();
}
