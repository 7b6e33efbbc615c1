using DDist.Reporting;
using DDist.Torch;

namespace DDist.Tests.Reporting;

/// <summary>A PNG decoded by our own libpng reader (not by the library that wrote it), with pixel look-ups.</summary>
internal sealed class RenderedPng
{
    public byte[] Rgb { get; }
    public int Width { get; }
    public int Height { get; }

    public RenderedPng(byte[] png)
    {
        var (pixels, h, w) = ImageCodec.Decode(png, 3);
        (Rgb, Height, Width) = (pixels, h, w);
    }

    public (byte R, byte G, byte B) At(int x, int y)
    {
        int i = 3 * (y * Width + x);
        return (Rgb[i], Rgb[i + 1], Rgb[i + 2]);
    }

    public static bool Close((byte R, byte G, byte B) p, Rgb c, int tolerance = 40) =>
        Math.Abs(p.R - c.R) + Math.Abs(p.G - c.G) + Math.Abs(p.B - c.B) <= tolerance;

    /// <summary>Whether a pixel of colour <paramref name="c"/> lies within <paramref name="radius"/> of (x, y).</summary>
    public bool HasNear(double x, double y, Rgb c, int radius = 3)
    {
        for (int dy = -radius; dy <= radius; dy++)
            for (int dx = -radius; dx <= radius; dx++)
            {
                int px = (int)Math.Round(x) + dx, py = (int)Math.Round(y) + dy;
                if (px >= 0 && py >= 0 && px < Width && py < Height && Close(At(px, py), c)) return true;
            }
        return false;
    }

    public int Count(Rgb c, int x0 = 0, int y0 = 0, int x1 = int.MaxValue, int y1 = int.MaxValue, int tolerance = 40)
    {
        int n = 0;
        for (int y = Math.Max(0, y0); y < Math.Min(Height, y1); y++)
            for (int x = Math.Max(0, x0); x < Math.Min(Width, x1); x++)
                if (Close(At(x, y), c, tolerance)) n++;
        return n;
    }
}
