using System.Text;
using DDist.Torch.IO;

namespace DDist.Torch.Tests.IO;

/// <summary>Damaged or malformed files must fail with InvalidDataException naming the file and what is wrong.</summary>
public class SafeTensorsCorruptFileTests
{
    private static readonly byte[] TwoFloats = [.. BitConverter.GetBytes(1f), .. BitConverter.GetBytes(2f)];

    private static InvalidDataException AssertRejected(byte[] file, params string[] fragments)
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad.safetensors");
        File.WriteAllBytes(path, file);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Open(path));
        Assert.Contains(path, e.Message);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
        // Load goes through the same parser and must not leave the file open.
        Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        File.Delete(path);
        return e;
    }

    private static void AssertHeaderRejected(string header, byte[] data, params string[] fragments) =>
        AssertRejected(SafeTensorsSpecTests.HandBuild(header, data), fragments);

    [Fact] public void EmptyFile() => AssertRejected([], "8-byte header length");
    [Fact] public void ShorterThanTheLengthField() => AssertRejected([1, 2, 3], "8-byte header length");

    [Fact]
    public void HeaderLengthBeyondTheFile()
    {
        var file = SafeTensorsSpecTests.HandBuild("""{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", TwoFloats);
        file[0] = 0xff; file[1] = 0xff;
        AssertRejected(file, "header length", "truncated");
    }

    [Fact] public void HeaderNotJson() => AssertHeaderRejected("{\"x\": [1, 2", [], "not valid JSON");
    [Fact] public void HeaderNotAnObject() => AssertHeaderRejected("[1, 2]", [], "must start with '{'");
    [Fact] public void HeaderWithDuplicateName() => AssertHeaderRejected(
        """{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", TwoFloats, "JSON");

    [Fact] public void UnknownDType() => AssertHeaderRejected(
        """{"x":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}""", TwoFloats, "'x'", "dtype 'F16'");

    [Fact] public void DTypeNotAString() => AssertHeaderRejected(
        """{"x":{"dtype":3,"shape":[2],"data_offsets":[0,8]}}""", TwoFloats, "'x'", "'dtype'");

    [Fact] public void MissingShape() => AssertHeaderRejected(
        """{"x":{"dtype":"F32","data_offsets":[0,8]}}""", TwoFloats, "'x'", "'shape'");

    [Fact] public void NegativeShape() => AssertHeaderRejected(
        """{"x":{"dtype":"F32","shape":[-1,-2],"data_offsets":[0,8]}}""", TwoFloats, "'x'", "'shape'", "non-negative");

    [Fact] public void FractionalShape() => AssertHeaderRejected(
        """{"x":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}""", TwoFloats, "'x'", "'shape'");

    [Fact] public void OffsetsNotAPair() => AssertHeaderRejected(
        """{"x":{"dtype":"F32","shape":[2],"data_offsets":[0]}}""", TwoFloats, "'x'", "'data_offsets'", "2 non-negative integers");

    [Fact] public void OffsetsDisagreeWithShape() => AssertHeaderRejected(
        """{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", TwoFloats, "'x'", "'data_offsets'", "needs 12");

    [Fact] public void OffsetsReversed() => AssertHeaderRejected(
        """{"x":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", TwoFloats, "'x'", "'data_offsets'");

    [Fact] public void HoleInDataSection() => AssertHeaderRejected(
        """{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", TwoFloats, "'x'", "hole");

    [Fact] public void OverlappingTensors() => AssertHeaderRejected(
        """{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", TwoFloats, "overlaps");

    [Fact] public void TrailingBytes() => AssertHeaderRejected(
        """{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", TwoFloats, "trailing");

    [Fact] public void MetadataValueNotAString() => AssertHeaderRejected(
        """{"__metadata__":{"epochs":3},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", TwoFloats, "'__metadata__.epochs'", "string");

    [Fact] public void TensorEntryNotAnObject() => AssertHeaderRejected(
        """{"x":[0,8]}""", TwoFloats, "'x'", "object");

    [Fact]
    public void TruncatedWrittenFile()
    {
        using var dir = new TempDirectory();
        using var scope = new TensorScope();
        var path = dir.File("whole.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["a"] = Tensors.Ones([10]), ["b"] = Tensors.Ones([10]) });
        var whole = File.ReadAllBytes(path);
        AssertRejected(whole[..^3], "truncated");
        AssertRejected(whole[..20], "header length");
    }

    [Fact]
    public void MissingFileAndUnknownTensorNameTheFile()
    {
        using var dir = new TempDirectory();
        using var scope = new TensorScope();
        var missing = dir.File("nope.safetensors");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => SafeTensorsFile.Open(missing)).Message);

        var path = dir.File("one.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["a"] = Tensors.Ones([1]) });
        using var file = SafeTensorsFile.Open(path);
        var e = Assert.Throws<KeyNotFoundException>(() => file.Read("b"));
        Assert.Contains(path, e.Message);
        Assert.Contains("'b'", e.Message);
    }

    [Fact]
    public void ANonUtf8OrBinaryHeaderIsRejected() =>
        AssertRejected([.. BitConverter.GetBytes(4UL), .. Encoding.Latin1.GetBytes("\u0093NUM")], "'{'");
}
