using System.Text.Json;
using DDist.Torch.IO;

namespace DDist.Torch.Tests.IO;

/// <summary>An independent implementation (NumPy, parsing the format by hand per the spec; the Debian archive has
/// no python3-safetensors) reads what we write, and writes what we read.</summary>
public class SafeTensorsNumpyCrossCheckTests
{
    private const string NumpyReader = """
        import json, sys, numpy as np
        raw = open(sys.argv[1], 'rb').read()
        n = int.from_bytes(raw[:8], 'little')
        header = json.loads(raw[8:8 + n].decode('utf-8'))
        data = raw[8 + n:]
        kinds = {'F32': '<f4', 'F64': '<f8', 'I64': '<i8', 'I32': '<i4', 'U8': 'u1', 'BOOL': '?'}
        out = {'__metadata__': header.pop('__metadata__', {})}
        for name, info in header.items():
            b, e = info['data_offsets']
            arr = np.frombuffer(data[b:e], dtype=kinds[info['dtype']]).reshape(info['shape'])
            out[name] = {'dtype': str(arr.dtype), 'shape': list(arr.shape), 'values': arr.ravel().tolist()}
        print(json.dumps(out))
        """;

    private const string NumpyWriter = """
        import json, sys, numpy as np
        arrays = {
            'weights': np.arange(12, dtype='<f4').reshape(3, 4) / 8 - 0.5,
            'counts': np.array([-(2**63), -1, 0, 2**63 - 1], dtype='<i8'),
            'small': np.array([[7, -8]], dtype='<i4'),
            'pixels': np.array([0, 1, 254, 255], dtype='u1'),
            'mask': np.array([True, False, True]),
            'pi': np.array(3.141592653589793, dtype='<f8'),
            'nothing': np.zeros((0, 3), dtype='<f4'),
        }
        names = {'float32': 'F32', 'float64': 'F64', 'int64': 'I64', 'int32': 'I32', 'uint8': 'U8', 'bool': 'BOOL'}
        header, blobs, offset = {'__metadata__': {'writer': 'numpy'}}, [], 0
        for name in sorted(arrays):
            a = arrays[name]  # all C-contiguous; np.ascontiguousarray would turn the 0-d one into 1-d
            header[name] = {'dtype': names[str(a.dtype)], 'shape': list(a.shape), 'data_offsets': [offset, offset + a.nbytes]}
            blobs.append(a.tobytes()); offset += a.nbytes
        h = json.dumps(header).encode('utf-8')
        with open(sys.argv[1], 'wb') as f:
            f.write(len(h).to_bytes(8, 'little')); f.write(h)
            for b in blobs: f.write(b)
        """;

    [PythonNumpyFact]
    public void NumpyReadsOurFile()
    {
        using var dir = new TempDirectory();
        using var scope = new TensorScope();
        var path = dir.File("ours.safetensors");
        SafeTensors.Save(path,
        [
            KeyValuePair.Create("f32", Tensors.FromArray(new[] { 0.1f, -2.5f, 3e-38f, 1e38f, 0, -0.75f }, 2, 3)),
            KeyValuePair.Create("f64", Tensors.FromArray(new[] { 1e-300, -2.5, Math.PI })),
            KeyValuePair.Create("i64", Tensors.FromArray(new[] { long.MinValue, -1, 0, long.MaxValue }, 2, 2)),
            KeyValuePair.Create("i32", Tensors.FromArray(new[] { int.MinValue, 5, int.MaxValue })),
            KeyValuePair.Create("u8", Tensors.FromArray(new byte[] { 0, 1, 128, 255 })),
            KeyValuePair.Create("bool", Tensors.FromArray(new[] { true, false, true })),
            KeyValuePair.Create("scalar", Tensors.Scalar(7.25)),
            KeyValuePair.Create("empty", Tensors.Zeros([0, 4])),
        ], new Dictionary<string, string> { ["format"] = "pt", ["ünïcode"] = "✓" });

        using var doc = JsonDocument.Parse(PythonNumpy.RunOk(NumpyReader, path));
        var root = doc.RootElement;
        Assert.Equal("pt", root.GetProperty("__metadata__").GetProperty("format").GetString());
        Assert.Equal("✓", root.GetProperty("__metadata__").GetProperty("ünïcode").GetString());

        void Check(string name, string npDtype, long[] shape, Func<JsonElement, double> read, IEnumerable<double> expected)
        {
            var e = root.GetProperty(name);
            Assert.Equal(npDtype, e.GetProperty("dtype").GetString());
            Assert.Equal(shape, e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()));
            Assert.Equal(expected, e.GetProperty("values").EnumerateArray().Select(read));
        }
        Check("f32", "float32", [2, 3], x => x.GetDouble(), new[] { 0.1f, -2.5f, 3e-38f, 1e38f, 0, -0.75f }.Select(v => (double)v));
        Check("f64", "float64", [3], x => x.GetDouble(), [1e-300, -2.5, Math.PI]);
        Check("i32", "int32", [3], x => x.GetInt64(), [int.MinValue, 5, int.MaxValue]);
        Check("u8", "uint8", [4], x => x.GetInt64(), [0, 1, 128, 255]);
        Check("bool", "bool", [3], x => x.GetBoolean() ? 1 : 0, [1, 0, 1]);
        Check("scalar", "float32", [], x => x.GetDouble(), [7.25]);
        Check("empty", "float32", [0, 4], x => x.GetDouble(), []);
        // int64 extremes do not survive a trip through double: compare them as integers.
        Assert.Equal(new[] { long.MinValue, -1, 0, long.MaxValue },
                     root.GetProperty("i64").GetProperty("values").EnumerateArray().Select(x => x.GetInt64()));
    }

    [PythonNumpyFact]
    public void WeReadAFileNumpyWrote()
    {
        using var dir = new TempDirectory();
        using var scope = new TensorScope();
        var path = dir.File("numpy.safetensors");
        PythonNumpy.RunOk(NumpyWriter, path);

        var (t, meta) = SafeTensors.Load(path);
        Assert.Equal("numpy", meta["writer"]);
        Assert.Equal(new long[] { 3, 4 }, t["weights"].Shape);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i / 8f - 0.5f), t["weights"].ToArray<float>());
        Assert.Equal(new[] { long.MinValue, -1, 0, long.MaxValue }, t["counts"].ToArray<long>());
        Assert.Equal(new long[] { 1, 2 }, t["small"].Shape);
        Assert.Equal(new[] { 7, -8 }, t["small"].ToArray<int>());
        Assert.Equal(new byte[] { 0, 1, 254, 255 }, t["pixels"].ToArray<byte>());
        Assert.Equal(new[] { true, false, true }, t["mask"].ToArray<bool>());
        Assert.Empty(t["pi"].Shape);
        Assert.Equal(Math.PI, t["pi"].Item());
        Assert.Equal(new long[] { 0, 3 }, t["nothing"].Shape);
    }
}
