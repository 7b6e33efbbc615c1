using DDist.Data;

namespace DDist.Tests.Data;

public class CifarReaderTests
{
    private static readonly string[] Cifar10Names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>A record: label byte(s), then 3072 pixels whose R plane is all `seed`, G seed+1, B seed+2.</summary>
    private static byte[] Record(byte[] labels, int seed)
    {
        var record = new byte[labels.Length + 3072];
        labels.CopyTo(record, 0);
        for (int c = 0; c < 3; c++) Array.Fill(record, (byte)(seed + c), labels.Length + c * 1024, 1024);
        return record;
    }

    /// <summary>Five training batches of 2 records (labels 2b, 2b+1, seeds 10·b + r) and a test batch of 3.</summary>
    internal static void WriteCifar10(TempDir dir, string folder = CifarReader.Cifar10Folder)
    {
        for (int b = 0; b < 5; b++)
            dir.Write($"{folder}/data_batch_{b + 1}.bin",
                [.. Record([(byte)(2 * b)], 10 * b), .. Record([(byte)(2 * b + 1)], 10 * b + 5)]);
        dir.Write($"{folder}/test_batch.bin", [.. Record([3], 200), .. Record([1], 201), .. Record([9], 202)]);
        dir.WriteText($"{folder}/batches.meta.txt", string.Join("\n", Cifar10Names) + "\n\n");
    }

    [Fact]
    public void Cifar10_ConcatenatesBatchesInFileOrder()
    {
        using var dir = new TempDir();
        WriteCifar10(dir);
        var data = CifarReader.ReadCifar10(dir.Path); // resolves the cifar-10-batches-bin sub-folder
        Assert.Equal(10, data.Train.Count);
        Assert.Equal(Enumerable.Range(0, 10), data.Train.Labels);
        Assert.Equal([3, 1, 9], data.Test.Labels);
        Assert.Equal(Cifar10Names, data.ClassNames);
        Assert.Equal((3, 32, 32), (data.Train.Channels, data.Train.Height, data.Train.Width));
        // Image 3 is batch 2's second record: seed 15; planes R=15, G=16, B=17 in CHW order.
        var image3 = data.Train.Pixels.AsSpan(3 * 3072, 3072);
        Assert.Equal((15, 16, 17), (image3[0], image3[1024], image3[3071]));
    }

    [Fact]
    public void Cifar100_UsesFineLabels()
    {
        using var dir = new TempDir();
        dir.Write("cifar-100-binary/train.bin", [.. Record([4, 19], 1), .. Record([0, 99], 2)]);
        dir.Write("cifar-100-binary/test.bin", Record([19, 0], 3));
        dir.WriteText("cifar-100-binary/fine_label_names.txt", string.Join("\n", Enumerable.Range(0, 100).Select(i => $"c{i}")));
        var data = CifarReader.ReadCifar100(dir.Path);
        Assert.Equal([19, 99], data.Train.Labels);
        Assert.Equal([0], data.Test.Labels);
        Assert.Equal(100, data.NumClasses);
        Assert.Equal(2, data.Train.Pixels[3072]); // second image's first pixel
    }

    [Fact]
    public void TruncatedBatch_NamesFileAndRecordSize()
    {
        using var dir = new TempDir();
        WriteCifar10(dir);
        var path = dir.Combine(CifarReader.Cifar10Folder, "data_batch_3.bin");
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..5000]);
        var e = Assert.Throws<InvalidDataException>(() => CifarReader.ReadCifar10(dir.Path));
        Assert.Contains(path, e.Message);
        Assert.Contains("3073-byte records", e.Message);
    }

    [Fact]
    public void RecordCountCheck_NamesFile()
    {
        using var dir = new TempDir();
        WriteCifar10(dir);
        var e = Assert.Throws<InvalidDataException>(() => CifarReader.ReadCifar10(dir.Path, recordsPerBatch: 10000));
        Assert.Contains("data_batch_1.bin: 2 records, expected 10000", e.Message);
    }

    [Fact]
    public void LabelOutOfRange_NamesRecord()
    {
        using var dir = new TempDir();
        WriteCifar10(dir);
        var path = dir.Write($"{CifarReader.Cifar10Folder}/test_batch.bin", [.. Record([1], 0), .. Record([10], 0)]);
        var e = Assert.Throws<InvalidDataException>(() => CifarReader.ReadCifar10(dir.Path));
        Assert.Contains(path, e.Message);
        Assert.Contains("record 1: label 10 out of range, expected 0..9", e.Message);
    }

    [Fact]
    public void WrongClassNameCount_NamesFile()
    {
        using var dir = new TempDir();
        WriteCifar10(dir);
        dir.WriteText($"{CifarReader.Cifar10Folder}/batches.meta.txt", "cat\ndog\n");
        var e = Assert.Throws<InvalidDataException>(() => CifarReader.ReadCifar10(dir.Path));
        Assert.Contains("batches.meta.txt: 2 class names, expected 10", e.Message);
    }

    [Fact]
    public void MissingFolder_SaysWhatWasExpected()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => CifarReader.ReadCifar100(dir.Path));
        Assert.Contains("cifar-100-binary", e.Message);
    }

    [Fact]
    public void Registry_ChecksRealSizes()
    {
        using var dir = new TempDir();
        WriteCifar10(dir);
        var e = Assert.Throws<InvalidDataException>(() => DatasetRegistry.ReadFrom("cifar10", dir.Path));
        Assert.Contains("expected 10000", e.Message);
    }
}
