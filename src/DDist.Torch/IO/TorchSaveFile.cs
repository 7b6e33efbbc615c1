using System.Buffers.Binary;
using System.Collections;
using System.IO.Compression;
using System.IO.Hashing;
using System.Numerics;
using Razorvine.Pickle;
using Razorvine.Pickle.Objects;

namespace DDist.Torch.IO;

/// <summary>One tensor read from a torch.save file: its values as little-endian bytes in row-major order (strides and
/// storage offset already applied), in a DDist dtype (half and bfloat16 widened to Float32, int8/int16 to Int32).
/// <see cref="Data"/> may be the storage's own array, shared with other tensors of that storage: read it, never write it.
/// From <see cref="TorchSaveFile.Open"/> the values are read from the file when <see cref="Data"/> is first asked for.</summary>
public sealed class PickledTensor
{
    private Func<byte[]>? _read;
    private byte[]? _data;

    public PickledTensor(string storageType, DType dtype, long[] shape, byte[] data) : this(storageType, dtype, shape, read: null) => _data = data;

    internal PickledTensor(string storageType, DType dtype, long[] shape, Func<byte[]>? read) =>
        (StorageType, DType, Shape, _read) = (storageType, dtype, shape, read);

    public string StorageType { get; }
    public DType DType { get; }
    public long[] Shape { get; }

    /// <summary>The values' bytes, read once and kept.</summary>
    public byte[] Data
    {
        get
        {
            if (_data is null)
            {
                _data = _read!();
                _read = null;
            }
            return _data;
        }
    }

    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    public Tensor ToTensor() => Tensors.FromBytes(Data, DType, Shape);

    /// <summary>The values as doubles, whatever the stored type.</summary>
    public double[] ToDoubles() => LittleEndianValues.ToDoubles(Data, DType, Count);

    public string Describe() => $"{StorageType.Replace("Storage", "").ToLowerInvariant()} [{string.Join(",", Shape)}]";
}

/// <summary>An open torch.save file whose tensors are read when their <see cref="PickledTensor.Data"/> is first asked
/// for (<see cref="TorchSaveFile.Open"/>): a consumer that takes one part at a time and drops it — an expert of a replay
/// buffer — holds that part, not the file. The file's structure (the pickle, every storage's entry and size) is checked
/// when it opens; reading a tensor after <see cref="Dispose"/> throws ObjectDisposedException. One thread at a time:
/// its tensors share the file's one stream.</summary>
public sealed class TorchSaveArchive : IDisposable
{
    private readonly IDisposable[] _owned;
    private readonly Func<string, byte[]> _read;
    // A storage several tensors view is read once while any of them holds it (torch.save(list(x.unbind())) makes one
    // storage of many tensors), without keeping storages nobody holds.
    private readonly Dictionary<string, WeakReference<byte[]>> _storages = [];
    private bool _disposed;

    internal TorchSaveArchive(string path, Func<string, byte[]> readStorage, params IDisposable[] owned) =>
        (Path, _read, _owned) = (path, readStorage, owned);

    public string Path { get; }
    /// <summary>The object the file holds, as <see cref="TorchSaveFile.Load"/> describes it.</summary>
    public object? Root { get; internal set; }

    /// <summary>The bytes of storage <paramref name="key"/>, read from the file unless a tensor still holds them.</summary>
    internal byte[] Storage(string key)
    {
        if (_disposed) throw new ObjectDisposedException(Path, $"{Path}: a tensor was read after its torch.save file was closed");
        if (_storages.TryGetValue(key, out var weak) && weak.TryGetTarget(out var held)) return held;
        var bytes = _read(key);
        _storages[key] = new WeakReference<byte[]>(bytes);
        return bytes;
    }

    public void Dispose()
    {
        _disposed = true;
        foreach (var d in _owned) d.Dispose();
    }
}

/// <summary>Reads what <c>torch.save</c> writes — the zip format of PyTorch ≥ 1.6 (<c>NAME/data.pkl</c> plus one
/// entry per storage, <c>NAME/data/KEY</c>) and the legacy format before it (magic number, protocol and system
/// pickles, the object pickle, the storage keys, then each storage as its element count and bytes) — into plain
/// objects: tensors become <see cref="PickledTensor"/>, tuples <c>object[]</c>, lists <see cref="ArrayList"/>, dicts
/// <see cref="Hashtable"/> (or a <see cref="ClassDict"/> for an OrderedDict), numbers, strings, bools and null as
/// they are. The pickle itself is read by Razorvine.Pickle; only the tensor protocol (torch/serialization.py's
/// persistent ids and torch/_utils.py's rebuild functions) is ours. Nothing in the file is executed: an unknown
/// class becomes a dictionary of its fields.</summary>
public static class TorchSaveFile
{
    private const string RebuildModule = "torch._utils";
    private static readonly BigInteger LegacyMagic = BigInteger.Parse("119547037146038801333356");   // 0x1950a86a20f9469cfc6c

    static TorchSaveFile()
    {
        // Global registrations (Razorvine keeps one table per process); the constructors hold no state.
        Unpickler.registerConstructor(RebuildModule, "_rebuild_tensor", new RebuildTensor(hasRequiresGrad: false));
        Unpickler.registerConstructor(RebuildModule, "_rebuild_tensor_v2", new RebuildTensor(hasRequiresGrad: true));
        Unpickler.registerConstructor(RebuildModule, "_rebuild_parameter", new RebuildParameter());
        Unpickler.registerConstructor(RebuildModule, "_rebuild_parameter_with_state", new RebuildParameter());
    }

    /// <summary>The object a torch.save file holds, every tensor read. Errors name the file and what was expected.</summary>
    public static object? Load(string path)
    {
        using var archive = Open(path);
        ReadAll(archive.Root);
        return archive.Root;
    }

    /// <summary>The file open, its tensors read as they are asked for (<see cref="TorchSaveArchive"/>). Errors in its
    /// structure are thrown here; one in a storage's bytes (a damaged zip entry) when that tensor is read. Both name the file.</summary>
    public static TorchSaveArchive Open(string path)
    {
        InputFile.Require(path, "torch.save file");
        var fs = File.OpenRead(path);
        try
        {
            var head = new byte[4];
            int got = fs.ReadAtLeast(head, 4, throwOnEndOfStream: false);
            fs.Position = 0;
            return Named(path, () =>
            {
                if (got == 4 && head is [(byte)'P', (byte)'K', 3, 4]) return OpenZip(path, fs);
                if (got >= 1 && head[0] == 0x80) return OpenLegacy(path, fs);
                throw new InvalidDataException($"{path}: not a torch.save file: it starts neither as a zip archive (PyTorch ≥ 1.6) nor as a pickle (the legacy format)");
            });
        }
        catch
        {
            fs.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="read"/>; the zip reader's and the unpickler's own messages name neither the file nor
    /// the format, so both are added.</summary>
    private static T Named<T>(string path, Func<T> read)
    {
        try { return read(); }
        catch (Exception e) when (e is PickleException or InvalidDataException or InvalidCastException or InvalidOperationException or IOException
                                      or ArgumentException or OverflowException or FormatException or KeyNotFoundException
                                      or IndexOutOfRangeException or NullReferenceException
                                  && e is not ObjectDisposedException && !e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: not a readable torch.save file ({e.GetType().Name}: {e.Message})", e);
        }
    }

    /// <summary>Reads every tensor in the graph (what <see cref="Load"/> returns is whole).</summary>
    private static void ReadAll(object? node)
    {
        switch (node)
        {
            case PickledTensor t: _ = t.Data; break;
            case object[] tuple: foreach (var x in tuple) ReadAll(x); break;
            case ArrayList list: foreach (var x in list) ReadAll(x); break;
            case ClassDict cd: foreach (var v in cd.Values) ReadAll(v); break;
            case Hashtable table: foreach (var v in table.Values) ReadAll(v); break;
        }
    }

    private static TorchSaveArchive OpenZip(string path, Stream stream)
    {
        var zip = new ZipArchive(stream, ZipArchiveMode.Read);
        try
        {
            var pickles = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1).ToList();
            if (pickles.Count != 1)
                throw new InvalidDataException($"{path}: a zip archive with {pickles.Count} 'NAME/data.pkl' entries, expected one (torch.save's layout)");
            var root = pickles[0].FullName[..^"data.pkl".Length];
            if (zip.GetEntry(root + "byteorder") is { } order && ReadText(order) is var text && text != "little")
                throw new InvalidDataException($"{path}: entry '{root}byteorder' is '{text}', DDist reads little-endian storages only");
            var storages = new Dictionary<string, StorageRef>();
            var graph = Unpickle(path, ReadAll(pickles[0]), storages);
            var entries = new Dictionary<string, ZipArchiveEntry>();
            foreach (var (key, storage) in storages)
                entries[key] = zip.GetEntry($"{root}data/{key}")
                    ?? throw new InvalidDataException($"{path}: storage '{key}' ({storage.Type}) has no entry '{root}data/{key}'");
            var archive = new TorchSaveArchive(path, key => ReadAll(entries[key]), zip, stream);
            archive.Root = Materialise(archive, graph);
            return archive;
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    private static TorchSaveArchive OpenLegacy(string path, Stream stream)
    {
        var unpickler = new StorageUnpickler(path, new Dictionary<string, StorageRef>());
        var magic = unpickler.load(stream);
        if (!(magic is BigInteger m && m == LegacyMagic))
            throw new InvalidDataException($"{path}: a pickle, but its first value is not torch.save's magic number (a plain pickle, or a torch file older than 0.4)");
        var protocol = Convert.ToInt64(unpickler.load(stream));
        if (protocol != 1001)
            throw new InvalidDataException($"{path}: legacy torch.save protocol {protocol}, expected 1001");
        if (unpickler.load(stream) is Hashtable info && info["little_endian"] is false)
            throw new InvalidDataException($"{path}: written on a big-endian machine; DDist reads little-endian storages only");
        var storages = new Dictionary<string, StorageRef>();
        unpickler = new StorageUnpickler(path, storages);
        var graph = unpickler.load(stream);
        if (unpickler.load(stream) is not ArrayList keys)
            throw new InvalidDataException($"{path}: the legacy storage-key list after the object is missing");
        // The storages follow in the key list's order, each as its element count and bytes: where each one's bytes
        // start is noted here (every count and size checked), and they are read from there when asked for.
        var offsets = new Dictionary<string, long>();
        Span<byte> count = stackalloc byte[8];
        foreach (string key in keys)
        {
            var storage = storages.TryGetValue(key, out var s) ? s : throw new InvalidDataException($"{path}: storage '{key}' is listed but no tensor uses it");
            stream.ReadExactly(count);
            long n = BinaryPrimitives.ReadInt64LittleEndian(count);
            if (n != storage.Count)
                throw new InvalidDataException($"{path}: storage '{key}' holds {n} elements, its tensor's record says {storage.Count}");
            if (n * storage.ElementSize > stream.Length - stream.Position)
                throw new InvalidDataException($"{path}: storage '{key}' needs {n * storage.ElementSize} bytes, {stream.Length - stream.Position} are left: the file is truncated");
            offsets[key] = stream.Position;
            stream.Seek(n * storage.ElementSize, SeekOrigin.Current);
        }
        var missing = storages.Keys.FirstOrDefault(k => !offsets.ContainsKey(k));
        if (missing is not null) throw new InvalidDataException($"{path}: storage '{missing}' is used by a tensor but not in the storage-key list");
        var archive = new TorchSaveArchive(path, key =>
        {
            var data = new byte[checked(storages[key].Count * storages[key].ElementSize)];
            stream.Position = offsets[key];
            stream.ReadExactly(data);
            return data;
        }, stream);
        archive.Root = Materialise(archive, graph);
        return archive;
    }

    private static object? Unpickle(string path, byte[] pickle, Dictionary<string, StorageRef> storages) =>
        new StorageUnpickler(path, storages).loads(pickle);

    /// <summary>Replaces every tensor record in the graph by a <see cref="PickledTensor"/> that reads its values from its
    /// storage's bytes (read from <paramref name="file"/>) when asked for.</summary>
    private static object? Materialise(TorchSaveArchive file, object? node) => node switch
    {
        TensorRef t => new PickledTensor(t.Storage.Type, t.Storage.DType, t.Size, () => Named(file.Path, () => t.Read(file.Path, file.Storage(t.Storage.Key)))),
        object[] tuple => tuple.Select(x => Materialise(file, x)).ToArray(),
        ArrayList list => new ArrayList(list.Cast<object?>().Select(x => Materialise(file, x)).ToList()),
        ClassDict cd => MaterialiseDict(file, cd, new ClassDict("", cd.ClassName)),
        Hashtable table => MaterialiseTable(file, table),
        _ => node,
    };

    private static ClassDict MaterialiseDict(TorchSaveArchive file, ClassDict from, ClassDict to)
    {
        foreach (var (k, v) in from) to[k] = Materialise(file, v)!;
        return to;
    }

    private static Hashtable MaterialiseTable(TorchSaveArchive file, Hashtable from)
    {
        var to = new Hashtable();
        foreach (DictionaryEntry e in from) to[e.Key] = Materialise(file, e.Value);
        return to;
    }

    private static byte[] ReadAll(ZipArchiveEntry entry)
    {
        if (entry.Length > Array.MaxLength) throw new InvalidDataException($"entry '{entry.FullName}' claims {entry.Length} bytes, more than one array holds");
        using var s = entry.Open();
        var data = new byte[entry.Length];
        s.ReadExactly(data);
        // .NET's zip reader does not check an entry's CRC-32 (PyTorch's does): without this a damaged storage would be
        // read as other numbers.
        if (Crc32.HashToUInt32(data) is var crc && crc != entry.Crc32)
            throw new InvalidDataException($"entry '{entry.FullName}' fails its CRC-32 check (recorded {entry.Crc32:x8}, read {crc:x8}): the file is damaged");
        return data;
    }

    private static string ReadText(ZipArchiveEntry entry) => System.Text.Encoding.ASCII.GetString(ReadAll(entry)).Trim();

    /// <summary>A storage named by a persistent id: ('storage', torch.FloatStorage, key, location, numel[, view]).</summary>
    private sealed record StorageRef(string Type, string Key, long Count, DType DType, int ElementSize, Func<byte[], int, byte[]>? Widen);

    private sealed class StorageUnpickler(string path, Dictionary<string, StorageRef> storages) : Unpickler
    {
        protected override object persistentLoad(object pid)
        {
            if (pid is not object[] { Length: >= 5 } id || id[0] is not "storage")
                throw new InvalidDataException($"{path}: persistent id {Show(pid)} is not a storage record ('storage', type, key, location, numel)");
            if (id.Length > 5 && id[5] is not null)
                throw new InvalidDataException($"{path}: storage '{id[2]}' is a view of another storage (torch < 1.0 wrote those); not read");
            var type = id[1] is ClassDictConstructor c ? c.name : Show(id[1]);
            var key = Convert.ToString(id[2], System.Globalization.CultureInfo.InvariantCulture)!;
            long count = Convert.ToInt64(id[4]);
            if (storages.TryGetValue(key, out var known)) return known;
            var (dtype, size, widen) = StorageTypes.TryGetValue(type, out var t) ? t
                : throw new InvalidDataException($"{path}: storage '{key}' is a {type}; DDist reads {string.Join(", ", StorageTypes.Keys)}");
            return storages[key] = new StorageRef(type, key, count, dtype, size, widen);
        }
    }

    private static readonly Dictionary<string, (DType DType, int Size, Func<byte[], int, byte[]>? Widen)> StorageTypes = new()
    {
        ["FloatStorage"] = (DType.Float32, 4, null),
        ["DoubleStorage"] = (DType.Float64, 8, null),
        ["HalfStorage"] = (DType.Float32, 2, (b, i) => BitConverter.GetBytes((float)BinaryPrimitives.ReadHalfLittleEndian(b.AsSpan(2 * i)))),
        ["BFloat16Storage"] = (DType.Float32, 2, (b, i) => BitConverter.GetBytes(BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(2 * i)) << 16))),
        ["LongStorage"] = (DType.Int64, 8, null),
        ["IntStorage"] = (DType.Int32, 4, null),
        ["ShortStorage"] = (DType.Int32, 2, (b, i) => BitConverter.GetBytes((int)BinaryPrimitives.ReadInt16LittleEndian(b.AsSpan(2 * i)))),
        ["CharStorage"] = (DType.Int32, 1, (b, i) => BitConverter.GetBytes((int)(sbyte)b[i])),
        ["ByteStorage"] = (DType.UInt8, 1, null),
        ["BoolStorage"] = (DType.Bool, 1, null),
    };

    /// <summary>A tensor as the pickle describes it: a view (offset, size, stride) of a storage.</summary>
    private sealed record TensorRef(StorageRef Storage, long Offset, long[] Size, long[] Stride)
    {
        public byte[] Read(string path, byte[] storage)
        {
            var s = Storage;
            if (storage.LongLength != s.Count * s.ElementSize)
                throw new InvalidDataException($"{path}: storage '{s.Key}' has {storage.LongLength} bytes, expected {s.Count} × {s.ElementSize} ({s.Type})");
            long n = Size.Aggregate(1L, (a, b) => a * b);
            int outSize = s.DType.ElementSize();
            // What torch.save writes for a tensor that is its whole storage: the storage's bytes are the values, kept as
            // they are rather than copied (a replay buffer is gigabytes of such tensors).
            if (s.Widen is null && IsRowMajor() && Offset == 0 && n == s.Count) return storage;
            var data = new byte[checked(n * outSize)];
            if (s.Widen is null && IsRowMajor() && n > 0 && Offset >= 0 && Offset + n <= s.Count)
            {
                // A row-major part of a storage: one copy.
                Array.Copy(storage, Offset * s.ElementSize, data, 0, n * outSize);
                return data;
            }
            var index = new long[Size.Length];
            for (long i = 0; i < n; i++)
            {
                long at = Offset;
                for (int d = 0; d < Size.Length; d++) at += index[d] * Stride[d];
                if (at < 0 || at >= s.Count)
                    throw new InvalidDataException($"{path}: a tensor [{string.Join(",", Size)}] reads element {at} of storage '{s.Key}', which holds {s.Count}");
                if (s.Widen is { } widen) widen(storage, (int)at).CopyTo(data, i * outSize);
                else Array.Copy(storage, at * s.ElementSize, data, i * outSize, outSize);
                for (int d = Size.Length - 1; d >= 0 && ++index[d] == Size[d]; d--) index[d] = 0;
            }
            return data;
        }

        private bool IsRowMajor()
        {
            long expected = 1;
            for (int d = Size.Length - 1; d >= 0; d--)
            {
                if (Size[d] != 1 && Stride[d] != expected) return false;
                expected *= Size[d];
            }
            return true;
        }
    }

    /// <summary>torch._utils._rebuild_tensor(storage, offset, size, stride) and _v2 (…, requires_grad, hooks[, metadata]).</summary>
    private sealed class RebuildTensor(bool hasRequiresGrad) : IObjectConstructor
    {
        public object construct(object[] args)
        {
            if (args.Length < (hasRequiresGrad ? 5 : 4) || args[0] is not StorageRef storage)
                throw new PickleException($"a tensor record {Show(args)} is not (storage, offset, size, stride{(hasRequiresGrad ? ", requires_grad, hooks" : "")})");
            long[] Longs(object o) => o is object[] t ? t.Select(Convert.ToInt64).ToArray()
                : throw new PickleException($"a tensor record's size or stride is {Show(o)}, expected a tuple of integers");
            var size = Longs(args[2]);
            var stride = Longs(args[3]);
            if (size.Length != stride.Length || size.Any(x => x < 0))
                throw new PickleException($"a tensor record has size ({string.Join(",", size)}) and stride ({string.Join(",", stride)})");
            return new TensorRef(storage, Convert.ToInt64(args[1]), size, stride);
        }
    }

    /// <summary>torch._utils._rebuild_parameter(data, requires_grad, hooks[, state]): an nn.Parameter is read as its tensor.</summary>
    private sealed class RebuildParameter : IObjectConstructor
    {
        public object construct(object[] args) => args.Length >= 1 && args[0] is TensorRef t ? t
            : throw new PickleException($"a parameter record {Show(args)} does not start with a tensor");
    }

    private static string Show(object? o) => o switch
    {
        null => "None",
        object[] t => "(" + string.Join(", ", t.Select(Show)) + ")",
        string s => $"'{s}'",
        ClassDictConstructor c => $"{c.module}.{c.name}",
        _ => o.ToString() ?? "?",
    };
}
