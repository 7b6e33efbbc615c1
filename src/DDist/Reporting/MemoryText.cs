using System.Globalization;

namespace DDist.Reporting;

/// <summary>Memory sizes as people read them in logs and reports: MiB below a GiB, GiB with two decimals above.</summary>
public static class MemoryText
{
    public static string MiB(double mib) => mib < 1024
        ? string.Create(CultureInfo.InvariantCulture, $"{mib:F0} MiB")
        : string.Create(CultureInfo.InvariantCulture, $"{mib / 1024:F2} GiB");
}
