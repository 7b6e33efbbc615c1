namespace DDist.Reporting;

/// <summary>An 8-bit RGB colour.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    public static readonly Rgb White = new(255, 255, 255);
    public static readonly Rgb Black = new(0, 0, 0);
    public static readonly Rgb LightGrey = new(220, 220, 220);
    public static readonly Rgb Grey = new(128, 128, 128);
    /// <summary>Marks distilled images in grids (the learnable part of a SelMatch set).</summary>
    public static readonly Rgb Orange = new(240, 120, 0);
    public static readonly Rgb Blue = new(31, 119, 180);
    public static readonly Rgb Red = new(214, 39, 40);
    public static readonly Rgb Green = new(44, 160, 44);
    public static readonly Rgb Purple = new(148, 103, 189);

    /// <summary>A qualitative palette for plot series: matplotlib's ten "tab10" colours, so a comparison of eight
    /// methods (Random, two herdings, k-center, forgetting, DC, DSA, DM) gives every line its own colour.</summary>
    public static IReadOnlyList<Rgb> Palette { get; } =
        [Blue, Orange, Green, Red, Purple, new(140, 86, 75), new(227, 119, 194), Grey, new(188, 189, 34), new(23, 190, 207)];
}
