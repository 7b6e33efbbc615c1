using System.Globalization;

namespace DDist.Reporting;

/// <summary>Memory sizes as people read them (MiB below a GiB, GiB with two decimals above) and write them (8G, 512M).</summary>
public static class MemoryText
{
    /// <summary>Bytes from "8G", "8GiB", "512M", "1.5g", "300000000": a number with an optional K, M, G or T (binary
    /// multiples, with or without "iB"/"B").</summary>
    public static long ParseBytes(string text)
    {
        var s = text.Trim();
        int end = s.Length;
        foreach (var suffix in new[] { "iB", "B" })
            if (s.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) { end = s.Length - suffix.Length; break; }
        int shift = end > 0 ? char.ToUpperInvariant(s[end - 1]) switch { 'K' => 10, 'M' => 20, 'G' => 30, 'T' => 40, _ => 0 } : 0;
        var number = s[..(shift > 0 ? end - 1 : end)].Trim();
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value <= 0
            || value * Math.Pow(2, shift) >= long.MaxValue)
            throw new FormatException($"'{text}': expected a positive size such as 8G, 512M or a number of bytes");
        return (long)Math.Round(value * Math.Pow(2, shift));
    }

    public static string MiB(double mib) => mib < 1024
        ? string.Create(CultureInfo.InvariantCulture, $"{mib:F0} MiB")
        : string.Create(CultureInfo.InvariantCulture, $"{mib / 1024:F2} GiB");
}
