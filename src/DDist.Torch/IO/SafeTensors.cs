using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DDist.Torch.IO;

/// <summary>The safetensors format (as read by PyTorch's and NumPy's safetensors packages):
/// 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets:[begin,end]},
/// "__metadata__": {string: string}}, then the raw little-endian tensor bytes, offsets relative to their start.</summary>
public static class SafeTensors
{
    internal const long MaxHeader = 100_000_000;

    public static string DTypeName(DType t) => t switch
    {
        DType.Float32 => "F32", DType.Float64 => "F64", DType.Int64 => "I64", DType.Int32 => "I32",
        DType.UInt8 => "U8", DType.Bool => "BOOL",
        _ => throw new NotSupportedException($"dtype {t} has no safetensors name"),
    };

    public static DType ParseDType(string name, string file, string tensor) => name switch
    {
        "F32" => DType.Float32, "F64" => DType.Float64, "I64" => DType.Int64, "I32" => DType.Int32,
        "U8" => DType.UInt8, "BOOL" => DType.Bool,
        _ => throw new InvalidDataException($"{file}: tensor '{tensor}' has dtype '{name}', expected one of F32, F64, I64, I32, U8, BOOL"),
    };

    /// <summary>Writes the tensors (in the given order) and string metadata atomically.</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header["__metadata__"] = meta;
        }
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, tensor) in tensors)
        {
            if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved in safetensors");
            if (header.ContainsKey(name)) throw new ArgumentException($"duplicate tensor name '{name}'");
            var bytes = tensor.ToBytes();
            header[name] = new JsonObject
            {
                ["dtype"] = DTypeName(tensor.DType),
                ["shape"] = new JsonArray(tensor.Shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            offset += bytes.Length;
            blobs.Add(bytes);
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        // Pad the header with spaces to a multiple of 8 so the data section is aligned, as the reference writer does.
        int padded = (json.Length + 7) / 8 * 8;
        AtomicFile.Write(path, s =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
            s.Write(len);
            s.Write(json);
            for (int i = json.Length; i < padded; i++) s.WriteByte((byte)' ');
            foreach (var b in blobs) s.Write(b);
        });
    }

    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(path, (IEnumerable<KeyValuePair<string, Tensor>>)tensors, metadata);

    /// <summary>Reads every tensor (CPU) and the metadata.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        var result = new Dictionary<string, Tensor>();
        foreach (var name in file.Names) result[name] = file.Read(name);
        return (result, new Dictionary<string, string>(file.Metadata));
    }
}

/// <summary>An open safetensors file whose tensors are read one at a time (streaming: nothing else is loaded).</summary>
public sealed class SafeTensorsFile : IDisposable
{
    public sealed record Entry(string Name, DType DType, long[] Shape, long Begin, long End);

    private readonly FileStream _stream;
    private readonly long _dataStart;
    private readonly Dictionary<string, Entry> _entries;
    public string Path { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    /// <summary>Tensor names in file order (by data offset).</summary>
    public IReadOnlyList<string> Names { get; }

    private SafeTensorsFile(string path, FileStream stream, long dataStart, Dictionary<string, Entry> entries, Dictionary<string, string> metadata)
    {
        Path = path;
        _stream = stream;
        _dataStart = dataStart;
        _entries = entries;
        Metadata = metadata;
        Names = entries.Values.OrderBy(e => e.Begin).Select(e => e.Name).ToList();
    }

    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such safetensors file", path);
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try { return Parse(path, fs); }
        catch { fs.Dispose(); throw; }
    }

    private static SafeTensorsFile Parse(string path, FileStream fs)
    {
        Span<byte> len = stackalloc byte[8];
        if (fs.Read(len) != 8) throw new InvalidDataException($"{path}: file shorter than the 8-byte safetensors header length");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(len);
        if (n > SafeTensors.MaxHeader || (long)n > fs.Length - 8)
            throw new InvalidDataException($"{path}: header length {n} exceeds the file ({fs.Length} bytes); not a safetensors file or truncated");
        var json = new byte[n];
        fs.ReadExactly(json);
        JsonObject header;
        try { header = JsonNode.Parse(json)?.AsObject() ?? throw new InvalidDataException($"{path}: empty safetensors header"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: safetensors header is not valid JSON ({e.Message})"); }

        long dataStart = 8 + (long)n, dataLength = fs.Length - dataStart;
        var entries = new Dictionary<string, Entry>();
        var metadata = new Dictionary<string, string>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                foreach (var (k, v) in node!.AsObject()) metadata[k] = v!.GetValue<string>();
                continue;
            }
            var o = node as JsonObject ?? throw new InvalidDataException($"{path}: tensor '{name}': expected an object");
            var dtype = SafeTensors.ParseDType(o["dtype"]?.GetValue<string>() ?? "", path, name);
            var shape = (o["shape"] as JsonArray ?? throw new InvalidDataException($"{path}: tensor '{name}': missing 'shape'"))
                .Select(x => x!.GetValue<long>()).ToArray();
            var offs = o["data_offsets"] as JsonArray ?? throw new InvalidDataException($"{path}: tensor '{name}': missing 'data_offsets'");
            long begin = offs[0]!.GetValue<long>(), end = offs[1]!.GetValue<long>();
            long expected = shape.Aggregate(1L, (a, b) => a * b) * dtype.ElementSize();
            if (end - begin != expected)
                throw new InvalidDataException($"{path}: tensor '{name}': data_offsets span {end - begin} bytes, shape [{string.Join(",", shape)}] of {dtype} needs {expected}");
            if (begin < 0 || end > dataLength)
                throw new InvalidDataException($"{path}: tensor '{name}': data_offsets [{begin},{end}] exceed the data section ({dataLength} bytes); file truncated?");
            entries[name] = new Entry(name, dtype, shape, begin, end);
        }
        return new SafeTensorsFile(path, fs, dataStart, entries, metadata);
    }

    public bool Contains(string name) => _entries.ContainsKey(name);

    public Entry Info(string name) =>
        _entries.TryGetValue(name, out var e) ? e : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");

    /// <summary>Reads one tensor into a new CPU tensor.</summary>
    public Tensor Read(string name)
    {
        var e = Info(name);
        var bytes = new byte[e.End - e.Begin];
        _stream.Seek(_dataStart + e.Begin, SeekOrigin.Begin);
        _stream.ReadExactly(bytes);
        return Tensors.FromBytes(bytes, e.DType, e.Shape);
    }

    public void Dispose() => _stream.Dispose();
}
