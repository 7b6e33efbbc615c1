using System.Buffers.Binary;
using System.IO.Compression;
using DDist.Torch.IO;

namespace DDist.Torch.Tests.IO;

public class NpzTests
{
    /// <summary>An .npz as numpy.savez (stored) or savez_compressed (deflated) lays it out: one "name.npy" per array.</summary>
    private static void WriteNpz(string path, CompressionLevel level, params (string Name, byte[] Npy)[] arrays)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, npy) in arrays)
        {
            using var s = zip.CreateEntry(name + ".npy", level).Open();
            s.Write(npy);
        }
    }

    /// <summary>The compression method of the first entry, from its local file header (offset 8: 0 stored, 8 deflate).</summary>
    private static int FirstEntryMethod(string path) => BinaryPrimitives.ReadUInt16LittleEndian(File.ReadAllBytes(path).AsSpan(8));

    [Theory]
    [InlineData(CompressionLevel.NoCompression, 0)]
    [InlineData(CompressionLevel.Optimal, 8)]
    public void ReadsStoredAndDeflatedArchives(CompressionLevel level, int zipMethod)
    {
        using var dir = new TempDirectory();
        using var scope = new TensorScope();
        var path = dir.File("arrays.npz");
        var labels = Enumerable.Range(0, 1000).Select(i => (long)(i % 10)).ToArray();
        var scores = Enumerable.Range(0, 1000).Select(i => i / 1000.0).ToArray();
        WriteNpz(path, level,
            ("labels", NpyBuilder.Build("<i8", [1000], NpyBuilder.Bytes(labels))),
            ("scores", NpyBuilder.Build("<f8", [1000], NpyBuilder.Bytes(scores), version: 2)));
        Assert.Equal(zipMethod, FirstEntryMethod(path));

        var npz = Npy.LoadNpz(path);
        Assert.Equal(["labels", "scores"], npz.Keys.Order());
        Assert.Equal(labels, npz["labels"].ToLongs());
        Assert.Equal(scores, npz["scores"].ToDoubles());
        Assert.Equal(labels, npz["labels"].ToTensor().ToArray<long>());
    }

    [Fact]
    public void ABadArrayInsideNamesTheArchiveAndTheEntry()
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad.npz");
        WriteNpz(path, CompressionLevel.Optimal,
            ("good", NpyBuilder.Build("<f8", [1], NpyBuilder.Bytes(1.0))),
            ("cut", NpyBuilder.Build("<f8", [8], NpyBuilder.Bytes(1.0, 2.0))));
        var e = Assert.Throws<InvalidDataException>(() => Npy.LoadNpz(path));
        Assert.Contains($"{path}:cut.npy", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void NotAZip()
    {
        using var dir = new TempDirectory();
        var path = dir.File("plain.npz");
        File.WriteAllBytes(path, NpyBuilder.Build("<f8", [1], NpyBuilder.Bytes(1.0)));
        var e = Assert.Throws<InvalidDataException>(() => Npy.LoadNpz(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("not a valid .npz", e.Message);
    }

    [Fact]
    public void CorruptDeflateStreamNamesTheEntry()
    {
        using var dir = new TempDirectory();
        var path = dir.File("corrupt.npz");
        var noise = new byte[4096];
        new Random(1).NextBytes(noise);
        WriteNpz(path, CompressionLevel.Optimal, ("x", NpyBuilder.Build("|u1", [4096], noise)));
        // Overwrite the middle of the compressed data (it starts after the 30-byte local header and the name).
        var bytes = File.ReadAllBytes(path);
        for (int i = 60; i < 400; i++) bytes[i] ^= 0x5a;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => Npy.LoadNpz(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void EntriesThatAreNotNpyAreIgnored()
    {
        using var dir = new TempDirectory();
        var path = dir.File("mixed.npz");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using (var s = zip.CreateEntry("README.txt").Open()) s.Write("not an array"u8);
            using (var s = zip.CreateEntry("x.npy").Open()) s.Write(NpyBuilder.Build("<i4", [2], NpyBuilder.Bytes(4, 5)));
        }
        var npz = Npy.LoadNpz(path);
        Assert.Equal(["x"], npz.Keys);
        Assert.Equal(new long[] { 4, 5 }, npz["x"].ToLongs());
    }
}
