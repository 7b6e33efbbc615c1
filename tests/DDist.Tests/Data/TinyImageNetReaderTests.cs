using DDist.Data;

namespace DDist.Tests.Data;

public class TinyImageNetReaderTests
{
    private static readonly string[] Wnids = ["n02", "n01", "n03"]; // listed unsorted on purpose

    /// <summary>PNG bytes under .JPEG names (the shim sniffs the signature). Training file k of class wnid has the
    /// pattern seed k; val files have seed 100 + k. Train names are _0, _1, _2, _10 to test ordinal order.</summary>
    private static string WriteTiny(TempDir dir, int side = 64)
    {
        var root = "tiny-imagenet-200";
        dir.WriteText($"{root}/wnids.txt", string.Join("\n", Wnids) + "\n");
        dir.WriteText($"{root}/words.txt", "n01\tgoldfish, Carassius auratus\nn02\tsalamander\nn03\tbullfrog, Rana catesbeiana\nn99\tunused\n");
        foreach (var wnid in Wnids)
            foreach (var k in new[] { 0, 1, 2, 10 })
                dir.Write($"{root}/train/{wnid}/images/{wnid}_{k}.JPEG", TestPng.Encode(TestPng.Pattern(side, side, 3, k), side, side, 3));
        var annotations = new[] { ("val_0.JPEG", "n03"), ("val_1.JPEG", "n01"), ("val_10.JPEG", "n02"), ("val_2.JPEG", "n01") };
        foreach (var (file, _) in annotations)
            dir.Write($"{root}/val/images/{file}", TestPng.Encode(TestPng.Pattern(side, side, 3, 100 + int.Parse(file[4..^5])), side, side, 3));
        dir.WriteText($"{root}/val/val_annotations.txt", string.Join("\n", annotations.Select(a => $"{a.Item1}\t{a.Item2}\t0\t0\t63\t63")) + "\n");
        return dir.Combine(root);
    }

    [Fact]
    public void ReadsSortedClassesOrdinalFilesAndRelabelledVal()
    {
        using var dir = new TempDir();
        WriteTiny(dir);
        var data = TinyImageNetReader.Read(dir.Path);
        Assert.Equal(["goldfish", "salamander", "bullfrog"], data.ClassNames); // sorted wnids n01, n02, n03
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2], data.Train.Labels);
        Assert.Equal((3, 64, 64), (data.Train.Channels, data.Train.Height, data.Train.Width));
        // Ordinal order within a class is _0, _1, _10, _2: the third image has seed 10.
        var expected = TestPng.Pattern(64, 64, 3, 10);
        var third = data.Train.Pixels.AsSpan(2 * 3 * 64 * 64, 3 * 64 * 64);
        Assert.Equal(expected[0], third[0]);                       // (y0, x0, R)
        Assert.Equal(expected[1], third[64 * 64]);                  // (y0, x0, G) lands in plane 1
        Assert.Equal(expected[(5 * 64 + 7) * 3 + 2], third[2 * 64 * 64 + 5 * 64 + 7]);
        // val sorted as val_0, val_1, val_10, val_2 → n03, n01, n02, n01.
        Assert.Equal([2, 0, 1, 0], data.Test.Labels);
        Assert.Equal(TestPng.Pattern(64, 64, 3, 110)[0], data.Test.Pixels[2 * 3 * 64 * 64]);
    }

    [Fact]
    public void UnknownWnidInValAnnotations_NamesLineAndClass()
    {
        using var dir = new TempDir();
        var root = WriteTiny(dir);
        File.AppendAllText(Path.Combine(root, "val", "val_annotations.txt"), "val_3.JPEG\tn77\t0\t0\t1\t1\n");
        var e = Assert.Throws<InvalidDataException>(() => TinyImageNetReader.Read(root));
        Assert.Contains("val_annotations.txt: line 5: unknown class n77", e.Message);
    }

    [Fact]
    public void ValImageWithoutAnnotation_IsAnError()
    {
        using var dir = new TempDir();
        var root = WriteTiny(dir);
        File.WriteAllBytes(Path.Combine(root, "val", "images", "val_9.JPEG"), TestPng.Encode(TestPng.Pattern(64, 64, 3, 0), 64, 64, 3));
        var e = Assert.Throws<InvalidDataException>(() => TinyImageNetReader.Read(root));
        Assert.Contains("no annotation for val_9.JPEG", e.Message);
    }

    [Fact]
    public void ClassFolderNotInWnids_IsAnError()
    {
        using var dir = new TempDir();
        var root = WriteTiny(dir);
        Directory.CreateDirectory(Path.Combine(root, "train", "n05", "images"));
        var e = Assert.Throws<InvalidDataException>(() => TinyImageNetReader.Read(root));
        Assert.Contains("n05: class folder not listed", e.Message);
    }

    [Fact]
    public void WrongImageSize_NamesFile()
    {
        using var dir = new TempDir();
        var root = WriteTiny(dir);
        var bad = Path.Combine(root, "train", "n02", "images", "n02_1.JPEG");
        File.WriteAllBytes(bad, TestPng.Encode(TestPng.Pattern(32, 32, 3, 0), 32, 32, 3));
        var e = Assert.Throws<InvalidDataException>(() => TinyImageNetReader.Read(root));
        Assert.Contains(bad, e.Message);
        Assert.Contains("32x32", e.Message);
        Assert.Contains("expected 64x64", e.Message);
    }

    [Fact]
    public void CorruptImage_NamesFile()
    {
        using var dir = new TempDir();
        var root = WriteTiny(dir);
        var bad = Path.Combine(root, "train", "n03", "images", "n03_2.JPEG");
        File.WriteAllBytes(bad, File.ReadAllBytes(bad)[..60]);
        var e = Assert.Throws<InvalidDataException>(() => TinyImageNetReader.Read(root));
        Assert.Contains(bad, e.Message);
        Assert.Contains("cannot decode", e.Message);
    }
}
