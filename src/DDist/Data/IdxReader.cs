namespace DDist.Data;

/// <summary>Reads the IDX format of MNIST and Fashion-MNIST (raw or gzip-compressed): big-endian header, then
/// uint8 data. Images: magic 0x00000803, count, rows, cols. Labels: magic 0x00000801, count.</summary>
public static class IdxReader
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    /// <summary>Reads a pair of image and label files into a 1-channel set, checking that the counts agree
    /// and that every label is below <c>classNames.Length</c>.</summary>
    public static RawImageSet Read(string imagesPath, string labelsPath, string[] classNames)
    {
        var (pixels, count, rows, cols) = ReadImages(imagesPath);
        var labels = ReadLabels(labelsPath);
        if (labels.Length != count)
            throw new InvalidDataException(
                $"{labelsPath}: holds {labels.Length} labels but {imagesPath} holds {count} images; the counts must be equal");
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= classNames.Length)
                throw new InvalidDataException(
                    $"{labelsPath}: label {labels[i]} at index {i} is out of range; expected 0..{classNames.Length - 1}");
        return new RawImageSet(pixels, labels, count, 1, rows, cols, classNames);
    }

    /// <summary>The four files of an MNIST-style dataset; each may also be present with a .gz suffix.</summary>
    public static readonly string[] DatasetFileNames =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>Reads train (train-*) and test (t10k-*) splits from one folder, raw or gzip files.</summary>
    public static RawDataset ReadDataset(string dir, string name, string[] classNames)
    {
        var files = DatasetFileNames.Select(f => FindFile(dir, f)
            ?? throw new FileNotFoundException($"{dir}: missing {f} (or {f}.gz); expected the four MNIST-format IDX files", Path.Combine(dir, f))).ToArray();
        var train = Read(files[0], files[1], classNames);
        var test = Read(files[2], files[3], classNames);
        return new RawDataset(name, train, test, dir);
    }

    /// <summary>dir/name if present, else dir/name.gz, else null.</summary>
    public static string? FindFile(string dir, string name)
    {
        var raw = Path.Combine(dir, name);
        if (File.Exists(raw)) return raw;
        return File.Exists(raw + ".gz") ? raw + ".gz" : null;
    }

    public static (byte[] Pixels, int Count, int Rows, int Cols) ReadImages(string path)
    {
        using var stream = DataFile.OpenContent(path);
        CheckMagic(path, stream, ImagesMagic, "images");
        int count = ReadDimension(path, stream, 4, "image count");
        int rows = ReadDimension(path, stream, 8, "rows");
        int cols = ReadDimension(path, stream, 12, "columns");
        const int header = 16;
        var pixels = new byte[Payload(path, stream, header, (long)count * rows * cols, $"{count} images of {rows}x{cols}")];
        DataFile.ReadExactly(path, stream, pixels, header, $"the pixels of {count} images of {rows}x{cols}");
        CheckNoTrailingBytes(path, stream, header + pixels.LongLength);
        return (pixels, count, rows, cols);
    }

    public static int[] ReadLabels(string path)
    {
        using var stream = DataFile.OpenContent(path);
        CheckMagic(path, stream, LabelsMagic, "labels");
        int count = ReadDimension(path, stream, 4, "label count");
        const int header = 8;
        var bytes = new byte[Payload(path, stream, header, count, $"{count} labels")];
        DataFile.ReadExactly(path, stream, bytes, header, $"{count} labels");
        CheckNoTrailingBytes(path, stream, header + count);
        return Array.ConvertAll(bytes, b => (int)b);
    }

    private static void CheckMagic(string path, Stream stream, int expected, string kind)
    {
        int magic = DataFile.ReadInt32BigEndian(path, stream, 0, "magic number");
        if (magic != expected)
            throw new InvalidDataException(
                $"{path}: magic number 0x{magic:X8}, expected 0x{expected:X8} (IDX {kind}, unsigned bytes)");
    }

    private static int ReadDimension(string path, Stream stream, int offset, string field)
    {
        int value = DataFile.ReadInt32BigEndian(path, stream, offset, field);
        if (value <= 0) throw new InvalidDataException($"{path}: header field '{field}' is {value}, expected a positive size");
        return value;
    }

    /// <summary>The size the header announces, checked before anything that large is allocated: a corrupt count must
    /// fail by name, not as an overflow or out-of-memory error.</summary>
    private static long Payload(string path, Stream stream, int header, long size, string what)
    {
        if (size > Array.MaxLength)
            throw new InvalidDataException($"{path}: the header announces {what}, {size:N0} bytes, more than one array can hold; the header is corrupt");
        if (stream.CanSeek && header + size > stream.Length)
            throw new InvalidDataException($"{path}: truncated: content ends at byte {stream.Length} inside {what}, expected {header + size} bytes " +
                                           "up to its end (or the header's count is corrupt)");
        return size;
    }

    private static void CheckNoTrailingBytes(string path, Stream stream, long expected)
    {
        if (!DataFile.AtEnd(path, stream))
            throw new InvalidDataException($"{path}: unexpected bytes after the first {expected}, which hold the header and all the data the header announces");
    }
}
