using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using DDist.Torch.IO;

namespace DDist.Reporting;

/// <summary>Writes 8-bit greyscale or RGB PNG files: signature, IHDR, one zlib-compressed IDAT (each scanline
/// prefixed with filter type 0), IEND; every chunk closed by its CRC-32.</summary>
public static class PngEncoder
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <param name="pixels">Row-major, interleaved channels (H·W·channels bytes).</param>
    /// <param name="channels">1 (grey) or 3 (RGB).</param>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), $"channels is {channels}, expected 1 (grey) or 3 (RGB)");
        if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), $"image is {width}×{height}, expected at least 1×1");
        int stride = width * channels;
        if (pixels.Length != stride * height)
            throw new ArgumentException($"{width}×{height}×{channels} image needs {stride * height} bytes, got {pixels.Length}", nameof(pixels));

        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < height; y++)
            {
                z.WriteByte(0);                                 // filter: none
                z.Write(pixels.Slice(y * stride, stride));
            }
        }
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;                                          // bit depth
        header[9] = channels == 1 ? (byte)0 : (byte)2;          // colour type: grey / truecolour
        // bytes 10–12: compression 0 (deflate), filter method 0, no interlace

        using var png = new MemoryStream();
        png.Write(Signature);
        WriteChunk(png, "IHDR", header);
        WriteChunk(png, "IDAT", idat.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    public static void Save(string path, ReadOnlySpan<byte> pixels, int width, int height, int channels) =>
        AtomicFile.WriteAllBytes(path, Encode(pixels, width, height, channels));

    private static void WriteChunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32.Append(Crc32.Compute(typeBytes), data));
        s.Write(crc);
    }
}
