using SkiaSharp;

namespace DDist.Reporting;

/// <summary>The typeface every plot and grid label is drawn with. It must hold the Greek letters the labels use
/// (β, α), which DejaVu Sans does; on Debian it comes with the fonts-dejavu-core package, which build.sh installs.
/// Without such a font Skia would draw empty boxes or nothing, so a missing font is an error, not a silent fallback.
/// Where no font is installed (a bare GPU machine), <c>DDIST_FONT</c> names a font file, or a <c>DejaVuSans.ttf</c>
/// beside the program is used (scripts/gpu-prepare.sh puts one there).</summary>
public static class PlotFonts
{
    public const string Family = "DejaVu Sans";
    /// <summary>Letters the labels use beyond ASCII.</summary>
    public const string RequiredGlyphs = "αβ±×";
    /// <summary>Environment variable naming a font file to use instead of the installed ones.</summary>
    public const string FileVariable = "DDIST_FONT";

    private static readonly string[] KnownFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
    ];

    private static readonly Lazy<SKTypeface> Loaded = new(() => Load(Environment.GetEnvironmentVariable(FileVariable)));

    /// <summary>The typeface (loaded once); throws when no font with the required glyphs is installed.</summary>
    public static SKTypeface Typeface => Loaded.Value;

    /// <summary>Registers the typeface with ScottPlot, so <c>plot.Font.Set(Family)</c> finds it even where Skia's
    /// font manager does not list it (the NoDependencies native build only scans /usr/share/fonts).</summary>
    public static void EnsureRegistered() => _ = Loaded.Value;

    /// <summary>The typeface from <paramref name="chosen"/> (the value of <see cref="FileVariable"/>) when given,
    /// else the first installed one with the required letters.</summary>
    internal static SKTypeface Load(string? chosen)
    {
        if (!string.IsNullOrEmpty(chosen))
        {
            if (!File.Exists(chosen))
                throw new FileNotFoundException($"{FileVariable}={chosen}: no such font file", chosen);
            return FromFile(chosen) ?? throw new InvalidDataException(
                $"{FileVariable}={chosen}: not a font Skia can read, or it lacks the letters {RequiredGlyphs}");
        }
        var fromManager = SKFontManager.Default.MatchFamily(Family);
        if (fromManager is not null && HasGlyphs(fromManager)) return fromManager;
        var files = KnownFiles.Append(Path.Combine(AppContext.BaseDirectory, "DejaVuSans.ttf")).ToArray();
        foreach (var file in files.Where(File.Exists))
            if (FromFile(file) is { } typeface) return typeface;
        throw new FileNotFoundException(
            $"no '{Family}' font with the letters {RequiredGlyphs} found (looked in Skia's font list and {string.Join(", ", files)}); " +
            $"install it (Debian: apt-get install fonts-dejavu-core; ./build.sh does this) or name a font file in {FileVariable}");
    }

    /// <summary>The typeface in <paramref name="file"/>, registered with ScottPlot under <see cref="Family"/>;
    /// null when Skia cannot read it or it lacks the required letters.</summary>
    private static SKTypeface? FromFile(string file)
    {
        var typeface = SKTypeface.FromFile(file);
        if (typeface is null || !HasGlyphs(typeface)) return null;
        ScottPlot.Fonts.AddFontFile(Family, file, bold: false, italic: false);
        return typeface;
    }

    public static bool HasGlyphs(SKTypeface typeface) => RequiredGlyphs.All(c => typeface.ContainsGlyph(c));
}
