using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Win32.SafeHandles;

namespace DDist.Torch.IO;

/// <summary>An open safetensors file whose tensors are read one at a time (streaming: nothing else is loaded).
/// The header is validated as the reference implementation does: every tensor's byte span matches its dtype and
/// shape, and the spans tile the data section exactly (no holes, no overlaps, no trailing bytes).
/// Reads use positioned I/O, so several threads may read tensors of one open file at once.</summary>
public sealed class SafeTensorsFile : IDisposable
{
    public sealed record Entry(string Name, DType DType, long[] Shape, long Begin, long End);

    private readonly SafeFileHandle _handle;
    private readonly long _dataStart;
    private readonly Dictionary<string, Entry> _entries;
    public string Path { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    /// <summary>Tensor names in file order (by data offset).</summary>
    public IReadOnlyList<string> Names { get; }

    private SafeTensorsFile(string path, SafeFileHandle handle, long dataStart, List<Entry> entriesInFileOrder, Dictionary<string, string> metadata)
    {
        Path = path;
        _handle = handle;
        _dataStart = dataStart;
        _entries = entriesInFileOrder.ToDictionary(e => e.Name);
        Metadata = metadata;
        Names = entriesInFileOrder.Select(e => e.Name).ToList();
    }

    public static SafeTensorsFile Open(string path)
    {
        InputFile.Require(path, "safetensors file");
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try { return Parse(path, handle); }
        catch { handle.Dispose(); throw; }
    }

    private static SafeTensorsFile Parse(string path, SafeFileHandle handle)
    {
        long fileLength = RandomAccess.GetLength(handle);
        Span<byte> len = stackalloc byte[8];
        if (ReadAt(handle, len, 0) < 8)
            throw new InvalidDataException($"{path}: file has {fileLength} bytes, fewer than the 8-byte header length field; not a safetensors file");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(len);
        if (n > SafeTensors.MaxHeader || n > (ulong)(fileLength - 8))
            throw new InvalidDataException($"{path}: header length field is {n}, but the file has only {fileLength - 8} bytes after it " +
                                           $"(limit {SafeTensors.MaxHeader}); not a safetensors file, or truncated");
        var json = new byte[n];
        ReadAt(handle, json, 8);
        var header = ParseHeaderJson(path, json);

        long dataStart = 8 + (long)n, dataLength = fileLength - dataStart;
        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__") ReadMetadata(path, node, metadata);
            else entries.Add(ParseEntry(path, name, node));
        }
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        CheckTiling(path, entries, dataLength);
        return new SafeTensorsFile(path, handle, dataStart, entries, metadata);
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static JsonObject ParseHeaderJson(string path, byte[] json)
    {
        if (json.Length == 0 || json[0] != (byte)'{')
            throw new InvalidDataException($"{path}: the JSON header must start with '{{'; not a safetensors file");
        // The parser validates UTF-8 only where it decodes a string, late and as an InvalidOperationException.
        try { StrictUtf8.GetCharCount(json); }
        catch (DecoderFallbackException e) { throw new InvalidDataException($"{path}: safetensors header is not valid UTF-8 (byte {e.Index})"); }
        JsonNode? root;
        try { root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: safetensors header is not valid JSON ({e.Message})"); }
        return root as JsonObject ?? throw new InvalidDataException($"{path}: safetensors header must be a JSON object");
    }

    private static void ReadMetadata(string path, JsonNode? node, Dictionary<string, string> metadata)
    {
        if (node is not JsonObject o)
            throw new InvalidDataException($"{path}: field '__metadata__' must be an object of string values, found {Describe(node)}");
        foreach (var (k, v) in o)
            metadata[k] = v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s
                : throw new InvalidDataException($"{path}: field '__metadata__.{k}' must be a string, found {Describe(v)}");
    }

    private static Entry ParseEntry(string path, string name, JsonNode? node)
    {
        string Field(string f) => $"{path}: tensor '{name}', field '{f}'";
        if (node is not JsonObject o)
            throw new InvalidDataException($"{path}: tensor '{name}' must be an object with dtype, shape and data_offsets, found {Describe(node)}");
        var dtypeName = o["dtype"] is JsonValue v && v.TryGetValue<string>(out var s) ? s
            : throw new InvalidDataException($"{Field("dtype")} must be a string such as \"F32\", found {Describe(o["dtype"])}");
        var dtype = SafeTensors.ParseDType(dtypeName, path, name);
        var shape = NonNegativeLongs(o["shape"], Field("shape"), count: null);
        var offsets = NonNegativeLongs(o["data_offsets"], Field("data_offsets"), count: 2);
        long begin = offsets[0], end = offsets[1];
        long expected;
        try { expected = checked(shape.Aggregate(1L, (a, b) => a * b) * dtype.ElementSize()); }
        catch (OverflowException) { throw new InvalidDataException($"{Field("shape")}: [{string.Join(",", shape)}] is too large"); }
        if (end < begin || end - begin != expected)
            throw new InvalidDataException($"{Field("data_offsets")}: [{begin},{end}] spans {end - begin} bytes, " +
                                           $"but shape [{string.Join(",", shape)}] of {dtypeName} needs {expected}");
        return new Entry(name, dtype, shape, begin, end);
    }

    /// <summary>The spec requires the tensors' byte spans to cover the data section exactly, in some order.</summary>
    private static void CheckTiling(string path, List<Entry> inFileOrder, long dataLength)
    {
        long next = 0;
        foreach (var e in inFileOrder)
        {
            if (e.Begin != next)
                throw new InvalidDataException($"{path}: tensor '{e.Name}', field 'data_offsets': starts at byte {e.Begin}, expected {next} " +
                                               (e.Begin > next ? "(a hole in the data section)" : "(it overlaps the previous tensor)"));
            next = e.End;
        }
        if (next > dataLength)
            throw new InvalidDataException($"{path}: tensors need {next} data bytes, the file holds {dataLength}; file truncated");
        if (next < dataLength)
            throw new InvalidDataException($"{path}: data section has {dataLength} bytes, tensors cover only {next}; trailing bytes after the last tensor");
    }

    private static long[] NonNegativeLongs(JsonNode? node, string field, int? count)
    {
        var what = count is { } c ? $"an array of {c} non-negative integers" : "an array of non-negative integers";
        if (node is not JsonArray a || (count is { } k && a.Count != k))
            throw new InvalidDataException($"{field} must be {what}, found {Describe(node)}");
        var r = new long[a.Count];
        for (int i = 0; i < r.Length; i++)
            r[i] = a[i] is JsonValue v && v.TryGetValue<long>(out var x) && x >= 0 ? x
                : throw new InvalidDataException($"{field} must be {what}, found {Describe(node)}");
        return r;
    }

    private static string Describe(JsonNode? node) => node is null ? "nothing (null or missing)" : node.ToJsonString();

    private static int ReadAt(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int got = RandomAccess.Read(handle, buffer[total..], offset + total);
            if (got == 0) break;
            total += got;
        }
        return total;
    }

    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>A number kept as metadata text: null when the field is absent, an error naming the file and field when
    /// it is not a number.</summary>
    public double? MetadataNumber(string key) =>
        !Metadata.TryGetValue(key, out var text) ? null
        : double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v
        : throw new InvalidDataException($"{Path}: metadata field '{key}' is '{text}', expected a number");

    /// <summary>A metadata field the file must have: an error naming the file and the field when it is absent,
    /// <paramref name="expectedFile"/> (e.g. "a DDist embedding network") saying what the file was taken for.</summary>
    public string RequiredMetadata(string key, string? expectedFile = null) =>
        Metadata.TryGetValue(key, out var v) ? v
        : throw new InvalidDataException($"{Path}: metadata field '{key}' missing" + (expectedFile is null ? "" : $"; not {expectedFile}"));

    /// <summary>Reads a tensor the file must hold: an error naming the file and the tensor when it does not.</summary>
    public Tensor ReadRequired(string name) =>
        Contains(name) ? Read(name) : throw new InvalidDataException($"{Path}: tensor '{name}' missing");

    public Entry Info(string name) =>
        _entries.TryGetValue(name, out var e) ? e : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");

    /// <summary>Reads one tensor into a new CPU tensor.</summary>
    public Tensor Read(string name)
    {
        var e = Info(name);
        var bytes = new byte[e.End - e.Begin];
        if (ReadAt(_handle, bytes, _dataStart + e.Begin) < bytes.Length)
            throw new InvalidDataException($"{Path}: tensor '{name}': file ended inside its data (was it truncated after opening?)");
        return Tensors.FromBytes(bytes, e.DType, e.Shape);
    }

    public void Dispose() => _handle.Dispose();
}
