using System.Text;
using DDist.Torch.IO;

namespace DDist.Torch.Tests.IO;

public class NpyFormatTests
{
    private static NpyArray LoadBytes(TempDirectory dir, byte[] file, string name = "a.npy")
    {
        var path = dir.File(name);
        File.WriteAllBytes(path, file);
        return Npy.Load(path);
    }

    private static InvalidDataException AssertRejected(byte[] file, params string[] fragments)
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad.npy");
        File.WriteAllBytes(path, file);
        var e = Assert.Throws<InvalidDataException>(() => Npy.Load(path));
        Assert.Contains(path, e.Message);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
        return e;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ReadsEveryVersionOfTheHeader(int version)
    {
        using var dir = new TempDirectory();
        using var scope = new TensorScope();
        var values = new[] { 1.5, -2, 1e300, double.NegativeInfinity, 0, 42 };
        var a = LoadBytes(dir, NpyBuilder.Build("<f8", [2, 3], NpyBuilder.Bytes(values), version));
        Assert.Equal(new long[] { 2, 3 }, a.Shape);
        Assert.Equal(DType.Float64, a.DType);
        Assert.Equal(values, a.ToDoubles());
        var t = a.ToTensor();
        Assert.Equal(new long[] { 2, 3 }, t.Shape);
        Assert.Equal(values, t.ToArray<double>());
    }

    [Fact]
    public void ReadsEverySupportedDType()
    {
        using var dir = new TempDirectory();
        using var scope = new TensorScope();
        Assert.Equal(new[] { 0.25f, -1 }, LoadBytes(dir, NpyBuilder.Build("<f4", [2], NpyBuilder.Bytes(0.25f, -1f))).ToTensor().ToArray<float>());
        Assert.Equal(new[] { long.MinValue, 9 }, LoadBytes(dir, NpyBuilder.Build("<i8", [2], NpyBuilder.Bytes(long.MinValue, 9L))).ToLongs());
        Assert.Equal(new[] { -3, int.MaxValue }, LoadBytes(dir, NpyBuilder.Build("<i4", [2], NpyBuilder.Bytes(-3, int.MaxValue))).ToTensor().ToArray<int>());
        Assert.Equal(new byte[] { 0, 255 }, LoadBytes(dir, NpyBuilder.Build("|u1", [2], [0, 255])).ToTensor().ToArray<byte>());
        var mask = LoadBytes(dir, NpyBuilder.Build("|b1", [3], [1, 0, 1]));
        Assert.Equal(DType.Bool, mask.DType);
        Assert.Equal(new[] { true, false, true }, mask.ToTensor().ToArray<bool>());
        Assert.Equal(new[] { 1.0, 0, 1 }, mask.ToDoubles());
    }

    [Fact]
    public void ReadsScalarsAndEmptyArrays()
    {
        using var dir = new TempDirectory();
        using var scope = new TensorScope();
        var scalar = LoadBytes(dir, NpyBuilder.Build("<f8", [], NpyBuilder.Bytes(2.5)));
        Assert.Empty(scalar.Shape);
        Assert.Equal(1, scalar.Count);
        Assert.Equal(2.5, scalar.ToTensor().Item());
        var empty = LoadBytes(dir, NpyBuilder.Build("<f4", [0, 3], []));
        Assert.Equal(new long[] { 0, 3 }, empty.Shape);
        Assert.Equal(new long[] { 0, 3 }, empty.ToTensor().Shape);
    }

    [Fact]
    public void TruncatedData() =>
        AssertRejected(NpyBuilder.Build("<f8", [4], NpyBuilder.Bytes(1.0, 2.0, 3.0))[..^1], "truncated", "needs 32 data bytes, found 23");

    [Fact]
    public void TruncatedHeader() => AssertRejected(NpyBuilder.Build("<f8", [4], [])[..40], "truncated", "header");

    [Fact]
    public void BadMagic()
    {
        var file = NpyBuilder.Build("<f8", [1], NpyBuilder.Bytes(1.0));
        file[1] = (byte)'X';
        AssertRejected(file, "magic");
        AssertRejected(Encoding.ASCII.GetBytes("PK\u0003\u0004 this is a zip"), "magic");
        AssertRejected([0x93], "magic");
    }

    [Fact]
    public void BigEndian() =>
        AssertRejected(NpyBuilder.Build(">f8", [1], NpyBuilder.Bytes(1.0)), "field 'descr' is '>f8'", "little-endian");

    [Fact]
    public void FortranOrder() =>
        AssertRejected(NpyBuilder.Build("<f8", [1], NpyBuilder.Bytes(1.0), fortranOrder: true), "'fortran_order'");

    [Fact]
    public void UnknownVersion()
    {
        var file = NpyBuilder.Build("<f8", [1], NpyBuilder.Bytes(1.0));
        file[6] = 4;
        AssertRejected(file, "version 4");
    }

    [Fact]
    public void NegativeShape() => AssertRejected(NpyBuilder.Build("<f8", [-2], []), "'shape'", "non-negative");

    [Fact]
    public void UnsupportedDTypeIsNamed()
    {
        using var dir = new TempDirectory();
        var path = dir.File("c.npy");
        File.WriteAllBytes(path, NpyBuilder.Build("<c16", [1], new byte[16]));
        var e = Assert.Throws<InvalidDataException>(() => Npy.Load(path));   // the file's content: exit 65
        Assert.Contains(path, e.Message);
        Assert.Contains("'<c16'", e.Message);
    }

    [Fact]
    public void MissingFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("nope.npy");
        Assert.Contains(path, Assert.Throws<FileNotFoundException>(() => Npy.Load(path)).Message);
    }
}
