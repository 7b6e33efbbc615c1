using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using DDist.Torch.IO;

namespace DDist.Torch.Tests.IO;

/// <summary>Checks against the public safetensors format description (huggingface/safetensors README):
/// u64 little-endian header size N; N bytes of UTF-8 JSON, an object mapping each tensor name to
/// {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the data section) plus an optional
/// "__metadata__" string→string map, possibly padded with trailing spaces; then the data section.</summary>
public class SafeTensorsSpecTests
{
    /// <summary>Assembles a file the way the spec describes, independently of our writer.</summary>
    internal static byte[] HandBuild(string headerJson, byte[] data, int padTo = 1)
    {
        var json = Encoding.UTF8.GetBytes(headerJson);
        int padded = (json.Length + padTo - 1) / padTo * padTo;
        var file = new byte[8 + padded + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)padded);
        json.CopyTo(file, 8);
        file.AsSpan(8 + json.Length, padded - json.Length).Fill((byte)' ');
        data.CopyTo(file, 8 + padded);
        return file;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public void AHandBuiltFileReadsCorrectly(int padTo)
    {
        using var dir = new TempDirectory();
        using var scope = new TensorScope();
        // Data section: "b" (two int64) first, then "a" (2x3 float32), then a scalar uint8; the JSON lists them
        // in another order, and metadata last, which the spec allows.
        var data = new List<byte>();
        foreach (var v in new long[] { -7, 1L << 40 }) data.AddRange(BitConverter.GetBytes(v));
        foreach (var v in new float[] { 0.5f, 1, 1.5f, 2, 2.5f, 3 }) data.AddRange(BitConverter.GetBytes(v));
        data.Add(200);
        const string header = """
            {"a":{"dtype":"F32","shape":[2,3],"data_offsets":[16,40]},
             "c":{"dtype":"U8","shape":[],"data_offsets":[40,41]},
             "b":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},
             "__metadata__":{"format":"pt","note":"hand built"}}
            """;
        var path = dir.File("hand.safetensors");
        File.WriteAllBytes(path, HandBuild(header, data.ToArray(), padTo));

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(["b", "a", "c"], file.Names);
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt", ["note"] = "hand built" }, file.Metadata);
        var info = file.Info("a");
        Assert.Equal((DType.Float32, 16L, 40L), (info.DType, info.Begin, info.End));
        Assert.Equal(new long[] { 2, 3 }, info.Shape);
        var a = file.Read("a");
        Assert.Equal(new long[] { 2, 3 }, a.Shape);
        Assert.Equal(new float[] { 0.5f, 1, 1.5f, 2, 2.5f, 3 }, a.ToArray<float>());
        Assert.Equal(new long[] { -7, 1L << 40 }, file.Read("b").ToArray<long>());
        var c = file.Read("c");
        Assert.Empty(c.Shape);
        Assert.Equal(DType.UInt8, c.DType);
        Assert.Equal(200, c.ItemLong());
    }

    [Fact]
    public void TheFileWeWriteIsExactlyWhatTheSpecDescribes()
    {
        using var dir = new TempDirectory();
        using var scope = new TensorScope();
        var path = dir.File("ours.safetensors");
        SafeTensors.Save(path,
        [
            KeyValuePair.Create("w", Tensors.FromArray(new float[] { 1.25f, -2, 3, 4.5f }, 2, 2)),
            KeyValuePair.Create("idx", Tensors.FromArray(new long[] { 3, -1, long.MaxValue })),
            KeyValuePair.Create("flag", Tensors.FromArray(new[] { true }, [])),
            KeyValuePair.Create("none", Tensors.Zeros([0, 5], DType.Float64)),
        ], new Dictionary<string, string> { ["format"] = "pt", ["k"] = "v" });

        var raw = File.ReadAllBytes(path);
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(raw);
        Assert.Equal(0, n % 8); // padded so the data section is 8-byte aligned, as the reference writer does
        var headerText = Encoding.UTF8.GetString(raw, 8, (int)n);
        Assert.StartsWith("{", headerText);
        var json = headerText.TrimEnd(' ');
        Assert.True(headerText[json.Length..].All(ch => ch == ' '), "header padding must be spaces");
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;

        var meta = root.GetProperty("__metadata__");
        Assert.Equal("pt", meta.GetProperty("format").GetString());
        Assert.Equal("v", meta.GetProperty("k").GetString());
        Assert.Equal(5, root.EnumerateObject().Count());

        var data = raw[(8 + (int)n)..];
        void AssertEntry(string name, string dtype, long[] shape, long begin, long end)
        {
            var e = root.GetProperty(name);
            Assert.Equal(["data_offsets", "dtype", "shape"], e.EnumerateObject().Select(p => p.Name).Order());
            Assert.Equal(dtype, e.GetProperty("dtype").GetString());
            Assert.Equal(shape, e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()));
            Assert.Equal(new[] { begin, end }, e.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()));
        }

        AssertEntry("w", "F32", [2, 2], 0, 16);
        Assert.Equal(new[] { 1.25f, -2, 3, 4.5f }, Enumerable.Range(0, 4).Select(i => BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(4 * i))));
        AssertEntry("idx", "I64", [3], 16, 40);
        Assert.Equal(new[] { 3L, -1, long.MaxValue }, Enumerable.Range(0, 3).Select(i => BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(16 + 8 * i))));
        AssertEntry("flag", "BOOL", [], 40, 41);
        Assert.Equal(1, data[40]);
        AssertEntry("none", "F64", [0, 5], 41, 41);
        Assert.Equal(41, data.Length); // nothing after the last tensor
    }
}
