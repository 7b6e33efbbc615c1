using SkiaSharp;

namespace DDist.Reporting;

/// <summary>The typeface every plot and grid label is drawn with. It must hold the Greek letters the labels use
/// (β, α), which DejaVu Sans does; on Debian it comes with the fonts-dejavu-core package, which build.sh installs.
/// Without such a font Skia would draw empty boxes or nothing, so a missing font is an error, not a silent fallback.</summary>
public static class PlotFonts
{
    public const string Family = "DejaVu Sans";
    /// <summary>Letters the labels use beyond ASCII.</summary>
    public const string RequiredGlyphs = "αβ±×";

    private static readonly string[] KnownFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
    ];

    private static readonly Lazy<SKTypeface> Loaded = new(Load);

    /// <summary>The typeface (loaded once); throws when no font with the required glyphs is installed.</summary>
    public static SKTypeface Typeface => Loaded.Value;

    /// <summary>Registers the typeface with ScottPlot, so <c>plot.Font.Set(Family)</c> finds it even where Skia's
    /// font manager does not list it (the NoDependencies native build only scans /usr/share/fonts).</summary>
    public static void EnsureRegistered() => _ = Loaded.Value;

    private static SKTypeface Load()
    {
        var fromManager = SKFontManager.Default.MatchFamily(Family);
        if (fromManager is not null && HasGlyphs(fromManager)) return fromManager;
        foreach (var file in KnownFiles.Where(File.Exists))
        {
            var typeface = SKTypeface.FromFile(file);
            if (typeface is null || !HasGlyphs(typeface)) continue;
            ScottPlot.Fonts.AddFontFile(Family, file, bold: false, italic: false);
            return typeface;
        }
        throw new InvalidOperationException(
            $"no '{Family}' font with the letters {RequiredGlyphs} found (looked in Skia's font list and {string.Join(", ", KnownFiles)}); " +
            "install it (Debian: apt-get install fonts-dejavu-core; ./build.sh does this)");
    }

    public static bool HasGlyphs(SKTypeface typeface) => RequiredGlyphs.All(c => typeface.ContainsGlyph(c));
}
