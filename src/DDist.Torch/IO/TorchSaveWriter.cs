using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace DDist.Torch.IO;

/// <summary>Writes one tensor as <c>torch.save(tensor, path)</c> does (PyTorch ≥ 1.6's zip format: <c>archive/data.pkl</c>,
/// the storage as <c>archive/data/0</c>, <c>archive/version</c>), so that <c>torch.load</c> — and with it the evaluation
/// scripts of MTT, DATM and their forks, which read <c>images_best.pt</c> — reads DDist's sets. The pickle (protocol 2)
/// is the few opcodes torch/_utils.py's <c>_rebuild_tensor_v2</c> needs, written here: it names only
/// <c>torch._utils._rebuild_tensor_v2</c>, a storage class and <c>collections.OrderedDict</c>, all of which
/// <c>torch.load(weights_only=True)</c> allows.</summary>
public static class TorchSaveWriter
{
    private const string Root = "archive/";

    /// <summary>Writes <paramref name="tensor"/> (on any device; float32, float64, int64, int32, uint8 or bool) atomically.</summary>
    public static void Save(string path, Tensor tensor)
    {
        using var scope = new TensorScope();
        var cpu = tensor.Detach().To(Device.Cpu).Contiguous();
        var (storage, elementSize) = cpu.DType switch
        {
            DType.Float32 => ("FloatStorage", 4), DType.Float64 => ("DoubleStorage", 8), DType.Int64 => ("LongStorage", 8),
            DType.Int32 => ("IntStorage", 4), DType.UInt8 => ("ByteStorage", 1), DType.Bool => ("BoolStorage", 1),
            var t => throw new ArgumentException($"{path}: a {t} tensor has no torch storage type here"),
        };
        var shape = cpu.Shape;
        var strides = new long[shape.Length];
        for (long d = shape.Length - 1, step = 1; d >= 0; step *= shape[d], d--) strides[d] = step;
        var bytes = cpu.ToBytes();
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            Add(zip, "data.pkl", Pickle(storage, bytes.Length / elementSize, shape, strides));
            Add(zip, "data/0", bytes);
            Add(zip, "version", "3\n"u8.ToArray());
        });
    }

    private static void Add(ZipArchive zip, string name, byte[] content)
    {
        using var s = zip.CreateEntry(Root + name, CompressionLevel.NoCompression).Open();   // torch.save stores, never deflates
        s.Write(content);
    }

    /// <summary>_rebuild_tensor_v2(('storage', torch.STORAGE, '0', 'cpu', numel), 0, shape, strides, False, OrderedDict()).</summary>
    private static byte[] Pickle(string storage, long count, long[] shape, long[] strides)
    {
        var p = new MemoryStream();
        void Op(char op) => p.WriteByte((byte)op);
        void Text(string s) => p.Write(Encoding.UTF8.GetBytes(s));
        void Global(string module, string name) { Op('c'); Text($"{module}\n{name}\n"); }
        void Unicode(string s)
        {
            var b = Encoding.UTF8.GetBytes(s);
            Op('X');
            Span<byte> n = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(n, b.Length);
            p.Write(n);
            p.Write(b);
        }
        void Int(long v)
        {
            if (v is >= int.MinValue and <= int.MaxValue)
            {
                Op('J');   // BININT: 4-byte signed
                Span<byte> b = stackalloc byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(b, (int)v);
                p.Write(b);
                return;
            }
            Op('\x8a');    // LONG1: 8 little-endian two's-complement bytes
            p.WriteByte(8);
            Span<byte> l = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(l, v);
            p.Write(l);
        }
        void Tuple(long[] values)
        {
            if (values.Length == 0) { Op(')'); return; }   // EMPTY_TUPLE
            Op('(');
            foreach (var v in values) Int(v);
            Op('t');
        }

        p.Write([0x80, 2]);                                   // PROTO 2
        Global("torch._utils", "_rebuild_tensor_v2");
        Op('(');
        Op('('); Unicode("storage"); Global("torch", storage); Unicode("0"); Unicode("cpu"); Int(count); Op('t');
        Op('Q');                                              // BINPERSID: the storage, by key
        Int(0);                                               // storage offset
        Tuple(shape);
        Tuple(strides);
        Op('\x89');                                           // requires_grad False
        Global("collections", "OrderedDict"); Op(')'); Op('R');   // no backward hooks
        Op('t');
        Op('R');
        Op('.');
        return p.ToArray();
    }
}
