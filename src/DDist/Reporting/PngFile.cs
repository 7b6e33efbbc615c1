using DDist.Torch.IO;
using SkiaSharp;

namespace DDist.Reporting;

/// <summary>PNG encoding of rendered bitmaps (Skia's encoder), written atomically.</summary>
public static class PngFile
{
    public static byte[] Encode(SKBitmap bitmap)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
                         ?? throw new InvalidOperationException($"Skia could not encode a {bitmap.Width}×{bitmap.Height} bitmap as PNG");
        return data.ToArray();
    }

    public static void Save(SKBitmap bitmap, string path) => AtomicFile.WriteAllBytes(path, Encode(bitmap));

    public static void Save(byte[] png, string path) => AtomicFile.WriteAllBytes(path, png);
}
