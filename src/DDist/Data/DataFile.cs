using System.Buffers.Binary;
using System.IO.Compression;

namespace DDist.Data;

/// <summary>Reading dataset files whole, transparently un-gzipping them, with errors that name the file.</summary>
internal static class DataFile
{
    /// <summary>The file's bytes; a gzip file (detected by its magic 1F 8B, not by its name) is decompressed.</summary>
    public static byte[] ReadAllBytes(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var bytes = File.ReadAllBytes(path);
        return IsGzip(bytes) ? Gunzip(path, bytes) : bytes;
    }

    /// <summary>A stream over the file's content, decompressing when the file starts with the gzip magic.</summary>
    public static Stream OpenContent(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> magic = stackalloc byte[2];
        int n = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return IsGzip(magic[..n]) ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    /// <summary>Fills <paramref name="buffer"/> from the stream; a short read or a corrupt gzip stream becomes an
    /// InvalidDataException naming the file, what was being read, and how many bytes were expected.</summary>
    public static void ReadExactly(string path, Stream stream, Span<byte> buffer, long offset, string what)
    {
        int read;
        try { read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: corrupt gzip stream while reading {what} ({e.Message})", e); }
        if (read < buffer.Length)
            throw new InvalidDataException(
                $"{path}: truncated: content ends at byte {offset + read} inside {what}, expected {offset + buffer.Length} bytes up to its end");
    }

    /// <summary>True when the stream has no byte left (a corrupt gzip tail counts as an error, not as the end).</summary>
    public static bool AtEnd(string path, Stream stream)
    {
        try { return stream.ReadByte() < 0; }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: corrupt gzip stream at its end ({e.Message})", e); }
    }

    public static bool IsGzip(ReadOnlySpan<byte> bytes) => bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B;

    private static byte[] Gunzip(string path, byte[] compressed)
    {
        try
        {
            using var input = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
            using var output = new MemoryStream(compressed.Length * 4);
            input.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: corrupt or truncated gzip stream ({e.Message})", e);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: truncated gzip stream ({e.Message})", e);
        }
    }

    /// <summary>Reads a big-endian int32 header field at <paramref name="offset"/> (the stream's current position).</summary>
    public static int ReadInt32BigEndian(string path, Stream stream, int offset, string field)
    {
        Span<byte> four = stackalloc byte[4];
        ReadExactly(path, stream, four, offset, $"the header field '{field}' (bytes {offset}..{offset + 3})");
        return BinaryPrimitives.ReadInt32BigEndian(four);
    }

    /// <summary>Non-empty lines with surrounding whitespace removed (class-name files end with blank lines).</summary>
    public static string[] ReadNonEmptyLines(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        return File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
    }

    /// <summary>Names sorted by ordinal comparison, as Python's sorted() orders str (torchvision's ImageFolder order).</summary>
    public static string[] SortOrdinal(IEnumerable<string> names)
    {
        var array = names.ToArray();
        Array.Sort(array, StringComparer.Ordinal);
        return array;
    }
}
