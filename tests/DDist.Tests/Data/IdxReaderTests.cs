using System.Buffers.Binary;
using System.IO.Compression;
using DDist.Data;

namespace DDist.Tests.Data;

public class IdxReaderTests
{
    private static readonly int[] MnistTrainPerClass = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
    private static readonly int[] MnistTestPerClass = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

    [RealDataFact("mnist")]
    public void RealMnist_HasSpecSizesAndPerClassCounts()
    {
        var data = RealMnist.Mnist;
        Assert.Equal((60000, 10000), (data.Train.Count, data.Test.Count));
        Assert.Equal((1, 28, 28), (data.Train.Channels, data.Train.Height, data.Train.Width));
        Assert.Equal(MnistTrainPerClass, data.Train.ClassCounts());
        Assert.Equal(MnistTestPerClass, data.Test.ClassCounts());
        // The first training labels of MNIST are 5, 0, 4, 1, 9.
        Assert.Equal([5, 0, 4, 1, 9], data.Train.Labels.Take(5));
    }

    [RealDataFact("fashion-mnist")]
    public void RealFashionMnist_FromGzip_Has6000And1000PerClass()
    {
        Assert.EndsWith(".gz", IdxReader.FindFile(RealMnist.FashionDir!, "train-images-idx3-ubyte"));
        var data = RealMnist.Fashion;
        Assert.Equal((60000, 10000), (data.Train.Count, data.Test.Count));
        Assert.All(data.Train.ClassCounts(), c => Assert.Equal(6000, c));
        Assert.All(data.Test.ClassCounts(), c => Assert.Equal(1000, c));
        Assert.Equal("Ankle boot", data.ClassNames[9]);
        // The first Fashion-MNIST training image is an ankle boot (9), the second a T-shirt/top (0).
        Assert.Equal([9, 0], data.Train.Labels.Take(2));
    }

    [Fact]
    public void ReadsRawAndGzipIdentically()
    {
        using var dir = new TempDir();
        var images = Images(3, 2, 4, (i, p) => (byte)(i * 10 + p));
        dir.Write("raw-images", images);
        dir.Write("gz-images", Gzip(images));
        var raw = IdxReader.ReadImages(dir.Combine("raw-images"));
        var gz = IdxReader.ReadImages(dir.Combine("gz-images"));
        Assert.Equal((3, 2, 4), (raw.Count, raw.Rows, raw.Cols));
        Assert.Equal(raw.Pixels, gz.Pixels);
        Assert.Equal(21, raw.Pixels[2 * 8 + 1]); // image 2, pixel 1
    }

    [Fact]
    public void WrongMagic_NamesFileAndExpectedMagic()
    {
        using var dir = new TempDir();
        var path = dir.Write("labels", Labels([1, 2, 3]));
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("0x00000801", e.Message);
        Assert.Contains("expected 0x00000803", e.Message);
    }

    [Fact]
    public void TruncatedImages_NamesFileAndSizes()
    {
        using var dir = new TempDir();
        var images = Images(5, 4, 4, (i, p) => 1);
        var path = dir.Write("images", images[..^3]);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains($"expected {images.Length}", e.Message);
    }

    /// <summary>A corrupt count in the header is named before anything that large is allocated (it used to surface as an
    /// internal overflow or out-of-memory error), raw or gzip.</summary>
    [Theory]
    [InlineData(0x7fffffff, false)]
    [InlineData(3_000_000, false)]
    [InlineData(3_000_000, true)]
    [InlineData(50_000, false)]
    public void AHugeCountInTheHeader_IsNamedBeforeAllocating(int count, bool gzip)
    {
        using var dir = new TempDir();
        var images = Images(2, 28, 28, (i, p) => 1);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), count);
        var path = dir.Write("images", gzip ? Gzip(images) : images);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains($"{count} images of 28x28", e.Message);

        var labels = Labels([1, 2]);
        BinaryPrimitives.WriteInt32BigEndian(labels.AsSpan(4), int.MaxValue);
        var labelPath = dir.Write("labels", labels);
        Assert.Contains($"{int.MaxValue} labels", Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(labelPath)).Message);
    }

    [Fact]
    public void TruncatedHeader_NamesField()
    {
        using var dir = new TempDir();
        var path = dir.Write("images", Images(1, 2, 2, (i, p) => 0)[..14]);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Contains("'columns'", e.Message);
    }

    [Fact]
    public void TrailingBytes_AreAnError()
    {
        using var dir = new TempDir();
        var path = dir.Write("labels", [.. Labels([1, 2]), 7]);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));
        Assert.Contains("unexpected bytes after the first 10", e.Message);
    }

    [Fact]
    public void CorruptGzip_NamesFile()
    {
        using var dir = new TempDir();
        var gz = Gzip(Images(4, 8, 8, (i, p) => (byte)p));
        var path = dir.Write("images.gz", gz[..(gz.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void CountMismatch_NamesBothFiles()
    {
        using var dir = new TempDir();
        var images = dir.Write("images", Images(3, 2, 2, (i, p) => 0));
        var labels = dir.Write("labels", Labels([0, 1]));
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(images, labels, ["a", "b"]));
        Assert.Contains(images, e.Message);
        Assert.Contains(labels, e.Message);
        Assert.Contains("2 labels", e.Message);
    }

    [Fact]
    public void LabelOutOfRange_NamesIndexAndRange()
    {
        using var dir = new TempDir();
        var images = dir.Write("images", Images(3, 2, 2, (i, p) => 0));
        var labels = dir.Write("labels", Labels([0, 1, 10]));
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(images, labels, Enumerable.Range(0, 10).Select(i => $"{i}").ToArray()));
        Assert.Contains("label 10 at index 2", e.Message);
        Assert.Contains("0..9", e.Message);
    }

    [Fact]
    public void ReadDataset_MissingFile_SaysWhichOne()
    {
        using var dir = new TempDir();
        dir.Write("train-images-idx3-ubyte.gz", Gzip(Images(1, 1, 1, (i, p) => 0)));
        var e = Assert.Throws<FileNotFoundException>(() => IdxReader.ReadDataset(dir.Path, "mnist", ["0"]));
        Assert.Contains("train-labels-idx1-ubyte", e.Message);
    }

    internal static byte[] Images(int count, int rows, int cols, Func<int, int, byte> pixel)
    {
        var bytes = new byte[16 + count * rows * cols];
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(0), IdxReader.ImagesMagic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), cols);
        for (int i = 0; i < count; i++)
            for (int p = 0; p < rows * cols; p++) bytes[16 + i * rows * cols + p] = pixel(i, p);
        return bytes;
    }

    internal static byte[] Labels(byte[] labels)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(0), IdxReader.LabelsMagic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), labels.Length);
        labels.CopyTo(bytes, 8);
        return bytes;
    }

    internal static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(bytes);
        return output.ToArray();
    }
}
