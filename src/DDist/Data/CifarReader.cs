namespace DDist.Data;

/// <summary>Reads the CIFAR "binary version" layouts (https://www.cs.toronto.edu/~kriz/cifar.html).
/// CIFAR-10: data_batch_1..5.bin and test_batch.bin, records of 1 label byte + 3072 pixel bytes (R, G, B planes of
/// 32×32), class names in batches.meta.txt. CIFAR-100: train.bin and test.bin, records of a coarse and a fine label
/// byte + 3072 pixels; the fine labels are used, named by fine_label_names.txt. Training batches are concatenated in
/// file order, which is torchvision's order (the order the score files are indexed by).</summary>
public static class CifarReader
{
    public const string Cifar10Folder = "cifar-10-batches-bin";
    public const string Cifar100Folder = "cifar-100-binary";
    public static readonly string[] Cifar10TrainFiles = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];
    public const string Cifar10TestFile = "test_batch.bin";
    public const string Cifar10NamesFile = "batches.meta.txt";
    public const string Cifar100TrainFile = "train.bin";
    public const string Cifar100TestFile = "test.bin";
    public const string Cifar100NamesFile = "fine_label_names.txt";
    private const int Side = 32;
    private const int PixelBytes = 3 * Side * Side;

    /// <summary>Reads CIFAR-10 from <paramref name="dir"/> or its cifar-10-batches-bin sub-folder.
    /// With <paramref name="recordsPerBatch"/> (10000 for the real data) every file must hold exactly that many.</summary>
    public static RawDataset ReadCifar10(string dir, int? recordsPerBatch = null)
    {
        var root = ResolveFolder(dir, Cifar10Folder, Cifar10TestFile);
        var names = ReadClassNames(Path.Combine(root, Cifar10NamesFile), 10);
        var train = Cifar10TrainFiles.Select(f => ReadRecords(Path.Combine(root, f), labelBytes: 1, names, recordsPerBatch)).ToList();
        var test = ReadRecords(Path.Combine(root, Cifar10TestFile), labelBytes: 1, names, recordsPerBatch);
        return new RawDataset("cifar10", Concat(train, names), test, root);
    }

    /// <summary>Reads CIFAR-100 (fine labels) from <paramref name="dir"/> or its cifar-100-binary sub-folder.</summary>
    public static RawDataset ReadCifar100(string dir, int? trainRecords = null, int? testRecords = null)
    {
        var root = ResolveFolder(dir, Cifar100Folder, Cifar100TestFile);
        var names = ReadClassNames(Path.Combine(root, Cifar100NamesFile), 100);
        var train = ReadRecords(Path.Combine(root, Cifar100TrainFile), labelBytes: 2, names, trainRecords);
        var test = ReadRecords(Path.Combine(root, Cifar100TestFile), labelBytes: 2, names, testRecords);
        return new RawDataset("cifar100", train, test, root);
    }

    /// <summary>The folder that holds <paramref name="marker"/>: <paramref name="dir"/> itself or the archive's top folder inside it.</summary>
    internal static string ResolveFolder(string dir, string archiveFolder, string marker)
    {
        if (File.Exists(Path.Combine(dir, marker))) return dir;
        var nested = Path.Combine(dir, archiveFolder);
        if (File.Exists(Path.Combine(nested, marker))) return nested;
        throw new FileNotFoundException(
            $"{dir}: no {marker} here nor in {archiveFolder}/; expected the extracted CIFAR binary archive", Path.Combine(dir, marker));
    }

    private static string[] ReadClassNames(string path, int expected)
    {
        var names = DataFile.ReadNonEmptyLines(path);
        if (names.Length != expected)
            throw new InvalidDataException($"{path}: {names.Length} class names, expected {expected} (one per line)");
        return names;
    }

    /// <summary>One binary file of records [label bytes][3072 pixels]; the last label byte is the class used.</summary>
    private static RawImageSet ReadRecords(string path, int labelBytes, string[] names, int? expectedRecords)
    {
        var bytes = DataFile.ReadAllBytes(path);
        int recordSize = labelBytes + PixelBytes;
        long records = bytes.LongLength / recordSize;
        long extra = bytes.LongLength % recordSize;
        if (extra != 0)
            throw new InvalidDataException(
                $"{path}: {bytes.LongLength} bytes is not a whole number of {recordSize}-byte records ({records} records and {extra} bytes); truncated or not a CIFAR binary file");
        if (records == 0) throw new InvalidDataException($"{path}: empty file, expected {recordSize}-byte records");
        if (expectedRecords is int want && records != want)
            throw new InvalidDataException($"{path}: {records} records, expected {want}");

        int n = (int)records;
        var pixels = new byte[(long)n * PixelBytes];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            long offset = (long)i * recordSize;
            if (labelBytes == 2 && bytes[offset] >= 20)
                throw new InvalidDataException($"{path}: record {i}: coarse label {bytes[offset]} out of range, expected 0..19");
            int label = bytes[offset + labelBytes - 1];
            if (label >= names.Length)
                throw new InvalidDataException($"{path}: record {i}: label {label} out of range, expected 0..{names.Length - 1}");
            labels[i] = label;
            Array.Copy(bytes, offset + labelBytes, pixels, (long)i * PixelBytes, PixelBytes);
        }
        return new RawImageSet(pixels, labels, n, 3, Side, Side, names);
    }

    private static RawImageSet Concat(IReadOnlyList<RawImageSet> parts, string[] names)
    {
        int count = parts.Sum(p => p.Count);
        var pixels = new byte[(long)count * PixelBytes];
        var labels = new int[count];
        int at = 0;
        foreach (var part in parts)
        {
            Array.Copy(part.Pixels, 0, pixels, (long)at * PixelBytes, part.Pixels.LongLength);
            Array.Copy(part.Labels, 0, labels, at, part.Count);
            at += part.Count;
        }
        return new RawImageSet(pixels, labels, count, 3, Side, Side, names);
    }
}
