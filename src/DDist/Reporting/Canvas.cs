namespace DDist.Reporting;

/// <summary>An RGB raster with the few drawing operations plots and grids need (rectangles, lines, text).
/// Coordinates are pixels, origin at the top left; drawing outside the canvas is clipped.</summary>
public sealed class Canvas
{
    public int Width { get; }
    public int Height { get; }
    /// <summary>Row-major RGB bytes (Height·Width·3).</summary>
    public byte[] Pixels { get; }

    public Canvas(int width, int height, Rgb background)
    {
        if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), $"canvas {width}×{height}");
        Width = width;
        Height = height;
        Pixels = new byte[width * height * 3];
        FillRect(0, 0, width, height, background);
    }

    public void SetPixel(int x, int y, Rgb c)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;
        int i = (y * Width + x) * 3;
        Pixels[i] = c.R; Pixels[i + 1] = c.G; Pixels[i + 2] = c.B;
    }

    public Rgb GetPixel(int x, int y)
    {
        int i = (y * Width + x) * 3;
        return new Rgb(Pixels[i], Pixels[i + 1], Pixels[i + 2]);
    }

    public void FillRect(int x, int y, int w, int h, Rgb c)
    {
        for (int yy = Math.Max(0, y); yy < Math.Min(Height, y + h); yy++)
            for (int xx = Math.Max(0, x); xx < Math.Min(Width, x + w); xx++)
                SetPixel(xx, yy, c);
    }

    /// <summary>A rectangle outline <paramref name="thickness"/> pixels wide, drawn inside the box.</summary>
    public void DrawRect(int x, int y, int w, int h, Rgb c, int thickness = 1)
    {
        FillRect(x, y, w, thickness, c);
        FillRect(x, y + h - thickness, w, thickness, c);
        FillRect(x, y, thickness, h, c);
        FillRect(x + w - thickness, y, thickness, h, c);
    }

    /// <summary>Bresenham line; thickness draws a square brush at every step.</summary>
    public void DrawLine(int x0, int y0, int x1, int y1, Rgb c, int thickness = 1)
    {
        int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0);
        int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
        int r = thickness / 2;
        while (true)
        {
            if (thickness <= 1) SetPixel(x0, y0, c);
            else FillRect(x0 - r, y0 - r, thickness, thickness, c);
            if (x0 == x1 && y0 == y1) break;
            int e2 = 2 * err;
            if (e2 >= dy) { err += dy; x0 += sx; }
            if (e2 <= dx) { err += dx; y0 += sy; }
        }
    }

    /// <summary>Text in the built-in 5×7 font; (x, y) is the top left of the first glyph.</summary>
    public void DrawText(int x, int y, string text, Rgb c, int scale = 1)
    {
        foreach (var ch in text)
        {
            var rows = BitmapFont.Glyph(ch);
            for (int gy = 0; gy < BitmapFont.GlyphHeight; gy++)
                for (int gx = 0; gx < BitmapFont.GlyphWidth; gx++)
                    if (rows[gy][gx] == '#') FillRect(x + gx * scale, y + gy * scale, scale, scale, c);
            x += BitmapFont.Advance * scale;
        }
    }

    /// <summary>Copies another canvas in at (x, y).</summary>
    public void Blit(Canvas src, int x, int y)
    {
        for (int yy = 0; yy < src.Height; yy++)
            for (int xx = 0; xx < src.Width; xx++)
                SetPixel(x + xx, y + yy, src.GetPixel(xx, yy));
    }

    public byte[] ToPng() => PngEncoder.Encode(Pixels, Width, Height, 3);
    public void SavePng(string path) => PngEncoder.Save(path, Pixels, Width, Height, 3);
}
