using System.Globalization;
using System.Text.RegularExpressions;

namespace DDist.Reporting;

/// <summary>Per-channel mean and std that map normalised images back to [0,1] pixels: p = x·std + mean.</summary>
public sealed partial record PixelNormalization(double[] Mean, double[] Std)
{
    /// <summary>Parses the SmallSet form "mean=[0.2861] std=[0.353]" (comma-separated per channel). Returns null for
    /// anything else (e.g. "zca"), in which case images are shown min–max scaled.</summary>
    public static PixelNormalization? TryParse(string text)
    {
        var m = Pattern().Match(text);
        if (!m.Success) return null;
        double[] Parse(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                                     .Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var mean = Parse(m.Groups[1].Value);
        var std = Parse(m.Groups[2].Value);
        return mean.Length == std.Length && mean.Length > 0 ? new PixelNormalization(mean, std) : null;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"mean=[{string.Join(", ", Mean.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}] std=[{string.Join(", ", Std.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}]");

    [GeneratedRegex(@"mean\s*=\s*\[([^\]]*)\]\s*,?\s*std\s*=\s*\[([^\]]*)\]")] private static partial Regex Pattern();
}
