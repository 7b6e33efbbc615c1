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
        try
        {
            foreach (var name in file.Names) result[name] = file.Read(name);
        }
        catch
        {
            // The caller never sees a partial result, so nobody else would free these.
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return (result, new Dictionary<string, string>(file.Metadata));
    }
}

