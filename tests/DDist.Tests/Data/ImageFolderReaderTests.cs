using System.Buffers.Binary;
using DDist.Data;

namespace DDist.Tests.Data;

public class ImageFolderReaderTests
{
    private static void WriteClass(TempDir dir, string folder, int count, int channels, int side = 8, int seedBase = 0)
    {
        for (int k = 0; k < count; k++)
            dir.Write($"{folder}/img{k:D2}.png", TestPng.Encode(TestPng.Pattern(side, side, channels, seedBase + k), side, side, channels));
    }

    [Fact]
    public void TrainTestLayout_SortedClassesAndDetectedGreyChannel()
    {
        using var dir = new TempDir();
        WriteClass(dir, "train/zebra", 2, 1);
        WriteClass(dir, "train/ant", 3, 1, seedBase: 40);
        WriteClass(dir, "test/zebra", 1, 1);
        dir.WriteText("train/ant/notes.txt", "ignored: not an image");
        var data = ImageFolderReader.Read(dir.Path);
        Assert.Equal(["ant", "zebra"], data.ClassNames);
        Assert.Equal([0, 0, 0, 1, 1], data.Train.Labels);
        Assert.Equal([1], data.Test.Labels);
        Assert.Equal((1, 8, 8), (data.Train.Channels, data.Train.Height, data.Train.Width));
        Assert.Equal(TestPng.Pattern(8, 8, 1, 41), data.Train.Pixels.AsSpan(64, 64).ToArray());
        Assert.Null(data.SplitNote);
    }

    [Fact]
    public void WithoutSplitFolders_HoldsOutOneInSixPerClass()
    {
        using var dir = new TempDir();
        WriteClass(dir, "cats", 12, 3);
        WriteClass(dir, "dogs", 7, 3);
        var data = ImageFolderReader.Read(dir.Path);
        Assert.Equal((3, 8, 8), (data.Train.Channels, data.Train.Height, data.Train.Width));
        Assert.Equal([2, 1], data.Test.ClassCounts());
        Assert.Equal([10, 6], data.Train.ClassCounts());
        Assert.Contains("1/6 held out", data.SplitNote);
        // The first held-out cat is file k = 5 (seed 5).
        Assert.Equal(TestPng.Pattern(8, 8, 3, 5)[0], data.Test.Pixels[0]);
    }

    [Fact]
    public void ChannelsOption_OverridesDetection()
    {
        using var dir = new TempDir();
        WriteClass(dir, "a", 6, 1);
        var data = ImageFolderReader.Read(dir.Path, new ImageFolderOptions(Channels: 3));
        Assert.Equal(3, data.Train.Channels);
        // A grey image expands to three equal planes.
        Assert.Equal(data.Train.Pixels[0], data.Train.Pixels[64]);
    }

    [Fact]
    public void MixedSizes_NameTheOddFile()
    {
        using var dir = new TempDir();
        WriteClass(dir, "a", 2, 3);
        var odd = dir.Write("a/zz.png", TestPng.Encode(TestPng.Pattern(9, 8, 3, 0), 9, 8, 3));
        var e = Assert.Throws<InvalidDataException>(() => ImageFolderReader.Read(dir.Path, new ImageFolderOptions(HoldOutEvery: 2)));
        Assert.Contains(odd, e.Message);
        Assert.Contains("9x8", e.Message);
        Assert.Contains("expected 8x8", e.Message);
    }

    [Fact]
    public void AClassFolderWithoutImages_OrNoTestImages_IsNamedBeforeDecoding()
    {
        using var dir = new TempDir();
        WriteClass(dir, "a", 6, 1);
        Directory.CreateDirectory(Path.Combine(dir.Path, "b"));
        var empty = Assert.Throws<InvalidDataException>(() => ImageFolderReader.Read(dir.Path));
        Assert.Contains(Path.Combine(dir.Path, "b") + ": the class folder holds no PNG or JPEG files", empty.Message);

        using var few = new TempDir();
        WriteClass(few, "a", 5, 1);   // 1 in 6 held out: five files leave the test split empty
        var none = Assert.Throws<InvalidDataException>(() => ImageFolderReader.Read(few.Path));
        Assert.Contains("no test images", none.Message);
    }

    /// <summary>A tiny PNG whose header claims 60000×60000 pixels is refused from its header, not after the decoder
    /// has allocated gigabytes for it.</summary>
    [Fact]
    public void AHeaderClaimingAHugeImageIsRefusedFromTheHeader()
    {
        using var dir = new TempDir();
        WriteClass(dir, "a", 6, 1);
        var png = TestPng.Encode(TestPng.Pattern(8, 8, 1, 0), 8, 8, 1);
        // IHDR follows the 8-byte signature and its length: type at 12, width and height at 16 and 20, CRC (of type
        // and data) at 29.
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), 60000);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), 60000);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Crc32(png.AsSpan(12, 17)));
        var huge = dir.Write("a/zz.png", png);
        var e = Assert.Throws<InvalidDataException>(() => ImageFolderReader.Read(dir.Path));
        Assert.Contains(huge, e.Message);
        Assert.Contains("60000×60000 pixels", e.Message);
    }

    /// <summary>PNG's CRC-32 (ISO 3309, reflected, polynomial 0xEDB88320).</summary>
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    [Fact]
    public void TestClassWithoutTrainCounterpart_IsAnError()
    {
        using var dir = new TempDir();
        WriteClass(dir, "train/a", 1, 1);
        WriteClass(dir, "test/b", 1, 1);
        var e = Assert.Throws<InvalidDataException>(() => ImageFolderReader.Read(dir.Path));
        Assert.Contains("no counterpart", e.Message);
    }

    [Fact]
    public void RegistryFolderName_ReadsThroughLoad()
    {
        using var dir = new TempDir();
        WriteClass(dir, "train/a", 2, 1);
        WriteClass(dir, "test/a", 1, 1);
        var data = DatasetRegistry.Load("folder:" + dir.Path);
        Assert.Equal("folder:" + dir.Path, data.Name);
        Assert.Equal(2, data.Train.Count);
    }
}
