using System.Buffers.Binary;
using System.Runtime.ExceptionServices;
using DDist.Torch;

namespace DDist.Data;

/// <summary>Decodes many PNG/JPEG files (libpng/libjpeg through the shim) into one N×C×H×W uint8 buffer.
/// Every file must have the same size; the error names the first file that does not.</summary>
internal static class ImageFiles
{
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    public static bool IsImageFile(string path) =>
        Extensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase) && !Path.GetFileName(path).StartsWith('.');

    /// <summary>Decodes <paramref name="files"/> in order. The size is <paramref name="expectedSize"/> when given,
    /// otherwise that of the first file.</summary>
    public static (byte[] Pixels, int Height, int Width) DecodeAll(IReadOnlyList<string> files, int channels, (int Height, int Width)? expectedSize = null)
    {
        if (files.Count == 0) return ([], expectedSize?.Height ?? 0, expectedSize?.Width ?? 0);
        var first = Decode(files[0], channels);
        var (h, w) = expectedSize ?? (first.Height, first.Width);
        CheckSize(files[0], first.Height, first.Width, h, w, expectedSize is null ? null : "the dataset's image size");
        long plane = (long)channels * h * w;
        var pixels = new byte[files.Count * plane];
        ToChw(first.Pixels, channels, h, w, pixels.AsSpan(0, (int)plane));
        // Decoding dominates (Tiny has 110k JPEGs); each file writes its own slice, so files decode in parallel.
        // Break() still completes every lower index, so the error reported is the first bad file in order.
        var errors = new Exception?[files.Count];
        Parallel.For(1, files.Count, (i, loop) =>
        {
            try
            {
                var image = Decode(files[i], channels);
                CheckSize(files[i], image.Height, image.Width, h, w, $"the size of {files[0]}");
                ToChw(image.Pixels, channels, h, w, pixels.AsSpan((int)(i * plane), (int)plane));
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                errors[i] = e;
                loop.Break();
            }
        });
        if (errors.FirstOrDefault(e => e is not null) is { } error) ExceptionDispatchInfo.Throw(error);
        return (pixels, h, w);
    }

    public static (byte[] Pixels, int Height, int Width) Decode(string path, int channels)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (IOException e) { throw new IOException($"{path}: cannot read image file ({e.Message})", e); }
        try { return ImageCodec.Decode(bytes, channels); }
        catch (TorchException e) { throw new InvalidDataException($"{path}: cannot decode image ({e.Message}); expected a PNG or JPEG file", e); }
    }

    /// <summary>The channel count a file stores (1 for grey, 3 for colour; alpha is dropped), read from the PNG IHDR
    /// colour type or the JPEG frame header, without decoding.</summary>
    public static int SniffChannels(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length >= 26 && bytes[0] == 0x89 && bytes[1] == (byte)'P' && bytes[2] == (byte)'N' && bytes[3] == (byte)'G')
            return bytes[25] is 0 or 4 ? 1 : 3; // colour types 0 grey, 4 grey+alpha; 2, 3, 6 are colour
        if (bytes.Length >= 4 && bytes[0] == 0xFF && bytes[1] == 0xD8)
            return JpegComponents(path, bytes) == 1 ? 1 : 3;
        throw new InvalidDataException($"{path}: not a PNG or JPEG file (unknown signature)");
    }

    private static int JpegComponents(string path, byte[] b)
    {
        int i = 2;
        while (i + 4 <= b.Length)
        {
            if (b[i] != 0xFF) { i++; continue; }
            byte marker = b[i + 1];
            if (marker is 0xFF or 0x01 or (>= 0xD0 and <= 0xD7)) { i += marker == 0xFF ? 1 : 2; continue; }
            int length = BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(i + 2, 2));
            bool isFrame = marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC;
            if (isFrame && i + 9 < b.Length) return b[i + 9]; // length(2) precision(1) height(2) width(2) components(1)
            i += 2 + length;
        }
        throw new InvalidDataException($"{path}: JPEG without a frame header (SOF marker); truncated or corrupt");
    }

    private static void CheckSize(string path, int h, int w, int wantH, int wantW, string? what)
    {
        if (h != wantH || w != wantW)
            throw new InvalidDataException(
                $"{path}: image is {w}x{h} (width x height), expected {wantW}x{wantH} ({what ?? "the dataset's image size"}); all images must share one size");
    }

    /// <summary>HWC (as decoded) to CHW (as stored in tensors).</summary>
    private static void ToChw(byte[] hwc, int channels, int h, int w, Span<byte> chw)
    {
        int plane = h * w;
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < channels; c++)
                chw[c * plane + p] = hwc[p * channels + c];
    }
}
