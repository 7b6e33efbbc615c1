using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace DDist.Torch.IO;

/// <summary>One array read from a NumPy .npy file: raw little-endian bytes plus dtype and shape.</summary>
public sealed record NpyArray(string Descr, long[] Shape, byte[] Data, string Source)
{
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    public DType DType => Descr[1..] switch
    {
        "f4" => DType.Float32, "f8" => DType.Float64, "i8" => DType.Int64, "i4" => DType.Int32,
        "u1" => DType.UInt8, "b1" => DType.Bool,
        _ => throw new InvalidDataException($"{Source}: field 'descr' is '{Descr}', a numpy dtype DDist does not read (f4, f8, i8, i4, u1, b1 are)"),
    };

    public Tensor ToTensor() => Tensors.FromBytes(Data, DType, Shape);

    /// <summary>The values as doubles, whatever the stored numeric type.</summary>
    public double[] ToDoubles() => LittleEndianValues.ToDoubles(Data, DType, Count);

    public long[] ToLongs() => ToDoubles().Select(v => (long)v).ToArray();
}

/// <summary>Reads NumPy .npy (format versions 1–3) and .npz (zip of .npy, stored or deflated).</summary>
public static partial class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static NpyArray Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such .npy file", path);
        using var fs = File.OpenRead(path);
        return Read(fs, path);
    }

    /// <summary>All arrays of an .npz, by name (the entry name without ".npy").</summary>
    public static Dictionary<string, NpyArray> LoadNpz(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such .npz file", path);
        ZipArchive zip;
        try { zip = ZipFile.OpenRead(path); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: not a valid .npz (zip) file: {e.Message}"); }
        using (zip)
        {
            var result = new Dictionary<string, NpyArray>();
            foreach (var entry in zip.Entries)
            {
                if (!entry.FullName.EndsWith(".npy")) continue;
                var source = $"{path}:{entry.FullName}";
                using var ms = new MemoryStream();
                try
                {
                    using var s = entry.Open();
                    s.CopyTo(ms);
                }
                catch (InvalidDataException e) { throw new InvalidDataException($"{source}: corrupt zip entry: {e.Message}"); }
                ms.Position = 0;
                result[entry.FullName[..^4]] = Read(ms, source);
            }
            return result;
        }
    }

    public static NpyArray Read(Stream s, string source)
    {
        var head = new byte[8];
        if (s.ReadAtLeast(head, 8, throwOnEndOfStream: false) < 8 || !head.AsSpan(0, 6).SequenceEqual(Magic))
            throw new InvalidDataException($"{source}: missing the \\x93NUMPY magic; not a .npy file");
        int major = head[6];
        int headerLen = major switch
        {
            1 => BinaryPrimitives.ReadUInt16LittleEndian(ReadHeaderBytes(s, 2, source, "header length")),
            2 or 3 => (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(ReadHeaderBytes(s, 4, source, "header length"))),
            _ => throw new InvalidDataException($"{source}: .npy format version {major}.{head[7]} is not supported (1–3 are)"),
        };
        if (headerLen > MaxHeader)
            throw new InvalidDataException($"{source}: header length {headerLen} exceeds {MaxHeader} bytes; corrupt file");
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(ReadHeaderBytes(s, headerLen, source, "header"));

        var descr = DescrRe().Match(header) is { Success: true } m1 ? m1.Groups[1].Value
            : throw new InvalidDataException($"{source}: header has no 'descr' field: {header.Trim()}");
        if (descr.Length < 3 || descr[0] == '>')
            throw new InvalidDataException($"{source}: field 'descr' is '{descr}'; expected a little-endian or byte type such as '<f8'");
        if (FortranRe().Match(header) is { Success: true } fm && fm.Groups[1].Value == "True")
            throw new InvalidDataException($"{source}: field 'fortran_order' is True; only C-order arrays are supported");
        var shapeText = ShapeRe().Match(header) is { Success: true } m2 ? m2.Groups[1].Value
            : throw new InvalidDataException($"{source}: header has no 'shape' field: {header.Trim()}");
        var shape = ParseShape(shapeText, source);

        var array = new NpyArray(descr, shape, [], source);
        long nbytes;
        try { nbytes = checked(array.Count * array.DType.ElementSize()); }
        catch (OverflowException) { throw new InvalidDataException($"{source}: field 'shape' ({shapeText}) is too large"); }
        if (nbytes > Array.MaxLength)
            throw new InvalidDataException($"{source}: field 'shape' ({shapeText}) of '{descr}' needs {nbytes} bytes, more than one array can hold");
        var data = new byte[nbytes];
        int got = s.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (got < data.Length)
            throw new InvalidDataException($"{source}: truncated: shape ({shapeText}) of '{descr}' needs {nbytes} data bytes, found {got}");
        return array with { Data = data };
    }

    private const int MaxHeader = 1 << 20;

    private static byte[] ReadHeaderBytes(Stream s, int count, string source, string what)
    {
        var b = new byte[count];
        if (s.ReadAtLeast(b, count, throwOnEndOfStream: false) < count)
            throw new InvalidDataException($"{source}: truncated inside the .npy {what}");
        return b;
    }

    private static long[] ParseShape(string text, string source)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var shape = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!long.TryParse(parts[i], out shape[i]) || shape[i] < 0)
                throw new InvalidDataException($"{source}: field 'shape' is ({text}); expected non-negative integers");
        return shape;
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")] private static partial Regex DescrRe();
    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")] private static partial Regex FortranRe();
    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")] private static partial Regex ShapeRe();
}
