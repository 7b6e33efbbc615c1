using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace DDist.Tests.Data;

/// <summary>A minimal PNG encoder for test images: 8-bit grey or RGB, filter 0 on every row, zlib-compressed IDAT.</summary>
internal static class TestPng
{
    /// <summary>Encodes HWC pixels (channels 1 or 3).</summary>
    public static byte[] Encode(byte[] hwc, int width, int height, int channels)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(0), width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;                          // bit depth
        header[9] = channels == 1 ? (byte)0 : (byte)2; // grey or truecolour
        WriteChunk(png, "IHDR", header);
        WriteChunk(png, "IDAT", Deflate(hwc, width * channels, height));
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>A deterministic test image: pixel (y, x, c) = (seed + 7y + 3x + 50c) mod 256.</summary>
    public static byte[] Pattern(int width, int height, int channels, int seed)
    {
        var hwc = new byte[width * height * channels];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < channels; c++)
                    hwc[(y * width + x) * channels + c] = (byte)(seed + 7 * y + 3 * x + 50 * c);
        return hwc;
    }

    private static byte[] Deflate(byte[] pixels, int stride, int height)
    {
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Fastest, leaveOpen: true))
            for (int y = 0; y < height; y++)
            {
                z.WriteByte(0); // filter type None
                z.Write(pixels, y * stride, stride);
            }
        return raw.ToArray();
    }

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(four, data.Length);
        png.Write(four);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(four, Crc32(typeAndData));
        png.Write(four);
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
