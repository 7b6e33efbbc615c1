using System.Buffers.Binary;
using DDist.Torch.IO;

namespace DDist.Torch.Tests.IO;

public class SafeTensorsRoundTripTests
{
    private static readonly long[][] Shapes = [[], [0], [2, 0, 3], [7], [2, 3, 4]];

    /// <summary>Raw little-endian bytes for n elements, led by the values most likely to be mangled
    /// (NaN payloads, signed zero, infinities, subnormals, integer extremes), then seeded noise.</summary>
    internal static byte[] SampleBytes(DType dtype, long n, int seed)
    {
        var rng = new Random(seed);
        int size = dtype.ElementSize();
        var bytes = new byte[n * size];
        for (int i = 0; i < n; i++)
        {
            var slot = bytes.AsSpan(i * size, size);
            switch (dtype)
            {
                case DType.Float32:
                    float[] f = [BitConverter.Int32BitsToSingle(0x7fc01234), -0f, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, float.MaxValue, float.MinValue];
                    BinaryPrimitives.WriteSingleLittleEndian(slot, i < f.Length ? f[i] : (float)(rng.NextDouble() * 2e3 - 1e3));
                    break;
                case DType.Float64:
                    double[] d = [BitConverter.Int64BitsToDouble(0x7ff8_0000_dead_beefL), -0d, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon, double.MaxValue, double.MinValue];
                    BinaryPrimitives.WriteDoubleLittleEndian(slot, i < d.Length ? d[i] : rng.NextDouble() * 2e6 - 1e6);
                    break;
                case DType.Int64:
                    long[] l = [long.MinValue, long.MaxValue, -1, 0];
                    BinaryPrimitives.WriteInt64LittleEndian(slot, i < l.Length ? l[i] : rng.NextInt64());
                    break;
                case DType.Int32:
                    int[] k = [int.MinValue, int.MaxValue, -1, 0];
                    BinaryPrimitives.WriteInt32LittleEndian(slot, i < k.Length ? k[i] : rng.Next(int.MinValue, int.MaxValue));
                    break;
                case DType.UInt8: slot[0] = (byte)(i < 2 ? 255 * i : rng.Next(256)); break;
                case DType.Bool: slot[0] = (byte)(i % 3 == 0 ? 1 : rng.Next(2)); break;
            }
        }
        return bytes;
    }

    private static long Count(long[] shape) => shape.Aggregate(1L, (a, b) => a * b);

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int64)]
    [InlineData(DType.Int32)]
    [InlineData(DType.UInt8)]
    [InlineData(DType.Bool)]
    public void EveryDTypeAndShapeRoundTripsBitIdentically(DType dtype)
    {
        using var dir = new TempDirectory();
        using var scope = new TensorScope();
        var sources = Shapes.Select((shape, i) => SampleBytes(dtype, Count(shape), seed: i)).ToArray();
        var tensors = Shapes.Select((shape, i) => KeyValuePair.Create($"t{i}", Tensors.FromBytes(sources[i], dtype, shape))).ToList();

        var path = dir.File("all.safetensors");
        SafeTensors.Save(path, tensors);
        var (back, metadata) = SafeTensors.Load(path);

        Assert.Empty(metadata);
        Assert.Equal(tensors.Select(t => t.Key), back.Keys.Order());
        for (int i = 0; i < Shapes.Length; i++)
        {
            var t = back[$"t{i}"];
            Assert.Equal(dtype, t.DType);
            Assert.Equal(Shapes[i], t.Shape);
            Assert.Equal(sources[i], t.ToBytes());
        }
    }

    [Fact]
    public void MetadataRoundTripsIncludingAwkwardStrings()
    {
        using var dir = new TempDirectory();
        using var scope = new TensorScope();
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["empty"] = "",
            ["quotes \" and \\ backslash"] = "line1\nline2\ttab",
            ["unicode"] = "Straße ✓ 数据",
            ["json-looking"] = "{\"a\": [1, 2]}",
        };
        var path = dir.File("m.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["x"] = Tensors.Ones([2]) }, metadata);

        var (_, back) = SafeTensors.Load(path);
        Assert.Equal(metadata.OrderBy(kv => kv.Key), back.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void MetadataNumbersReadBackOrAreRefusedByField()
    {
        using var dir = new TempDirectory();
        using var scope = new TensorScope();
        var path = dir.File("n.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["x"] = Tensors.Ones([1]) },
                         new Dictionary<string, string> { ["seconds"] = "12.5", ["accuracy"] = "NaN", ["bad"] = "twelve" });
        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(12.5, file.MetadataNumber("seconds"));
        Assert.True(double.IsNaN(file.MetadataNumber("accuracy")!.Value));
        Assert.Null(file.MetadataNumber("absent"));
        var e = Assert.Throws<InvalidDataException>(() => file.MetadataNumber("bad"));
        Assert.Contains(path, e.Message);
        Assert.Contains("metadata field 'bad' is 'twelve'", e.Message);
    }

    [Fact]
    public void NamesKeepTheOrderTheyWereSavedIn()
    {
        using var dir = new TempDirectory();
        using var scope = new TensorScope();
        string[] names = ["zeta", "alpha", "mid", "beta"];
        var path = dir.File("order.safetensors");
        SafeTensors.Save(path, names.Select((n, i) => KeyValuePair.Create(n, Tensors.Full([i + 1], i))));

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(names, file.Names);
    }

    [Fact]
    public void NonContiguousAndGradTrackingTensorsAreSavedAsTheirValues()
    {
        using var dir = new TempDirectory();
        using var scope = new TensorScope();
        var m = Tensors.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var transposed = m.T();
        var tracked = Tensors.FromArray(new double[] { 0.5, -1.5 }).RequiresGrad_();
        var path = dir.File("views.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["t"] = transposed, ["g"] = tracked });

        var (back, _) = SafeTensors.Load(path);
        Assert.Equal(new long[] { 3, 2 }, back["t"].Shape);
        Assert.Equal(new float[] { 1, 4, 2, 5, 3, 6 }, back["t"].ToArray<float>());
        Assert.Equal(new[] { 0.5, -1.5 }, back["g"].ToArray<double>());
        Assert.False(back["g"].RequiresGrad);
    }

    [Fact]
    public void SaveRejectsReservedAndDuplicateNamesWithoutWritingAFile()
    {
        using var dir = new TempDirectory();
        using var scope = new TensorScope();
        var path = dir.File("bad.safetensors");
        var x = Tensors.Zeros([1]);
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, [KeyValuePair.Create("__metadata__", x)]));
        var dup = Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, [KeyValuePair.Create("a", x), KeyValuePair.Create("a", x)]));
        Assert.Contains("'a'", dup.Message);
        Assert.Empty(dir.FileNames());
    }
}
