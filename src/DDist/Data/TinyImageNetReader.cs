namespace DDist.Data;

/// <summary>Reads the tiny-imagenet-200 layout the way SEL does: classes are the sorted wnids; training images are
/// train/&lt;wnid&gt;/images/*.JPEG sorted by ordinal file name (n01443537_0, _1, _10, …, torchvision ImageFolder
/// order); the test split is val/images/*.JPEG in sorted order, each labelled from val/val_annotations.txt.</summary>
public static class TinyImageNetReader
{
    public const string Folder = "tiny-imagenet-200";
    public const string WnidsFile = "wnids.txt";
    public const string WordsFile = "words.txt";
    public const string ValAnnotationsFile = "val_annotations.txt";
    public const int Side = 64;

    /// <summary>Reads from <paramref name="dir"/> or its tiny-imagenet-200 sub-folder. Class names are the first
    /// synonym from words.txt when that file is present (e.g. "goldfish"), otherwise the wnids.</summary>
    public static RawDataset Read(string dir)
    {
        var root = ResolveRoot(dir);
        var wnids = ReadWnids(root);
        var classNames = ReadClassNames(root, wnids);
        var train = ReadTrain(root, wnids, classNames);
        var test = ReadVal(root, wnids, classNames);
        return new RawDataset("tiny-imagenet", train, test, root);
    }

    internal static string ResolveRoot(string dir)
    {
        if (File.Exists(Path.Combine(dir, WnidsFile))) return dir;
        var nested = Path.Combine(dir, Folder);
        if (File.Exists(Path.Combine(nested, WnidsFile))) return nested;
        throw new FileNotFoundException($"{dir}: no {WnidsFile} here nor in {Folder}/; expected the extracted tiny-imagenet-200 archive",
            Path.Combine(dir, WnidsFile));
    }

    private static string[] ReadWnids(string root)
    {
        var path = Path.Combine(root, WnidsFile);
        var wnids = DataFile.SortOrdinal(DataFile.ReadNonEmptyLines(path));
        if (wnids.Length == 0) throw new InvalidDataException($"{path}: no wnids, expected one class id per line");
        var duplicate = wnids.Zip(wnids.Skip(1)).FirstOrDefault(p => p.First == p.Second).First;
        if (duplicate is not null) throw new InvalidDataException($"{path}: wnid {duplicate} is listed twice");
        return wnids;
    }

    private static string[] ReadClassNames(string root, string[] wnids)
    {
        var path = Path.Combine(root, WordsFile);
        if (!File.Exists(path)) return wnids;
        var words = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            var tab = line.IndexOf('\t');
            if (tab > 0) words[line[..tab]] = line[(tab + 1)..].Split(',')[0].Trim();
        }
        return wnids.Select(w => words.TryGetValue(w, out var name) && name.Length > 0 ? name : w).ToArray();
    }

    private static RawImageSet ReadTrain(string root, string[] wnids, string[] classNames)
    {
        var trainDir = Path.Combine(root, "train");
        if (!Directory.Exists(trainDir)) throw new DirectoryNotFoundException($"{trainDir}: training folder not found");
        var known = new HashSet<string>(wnids, StringComparer.Ordinal);
        var stray = Directory.GetDirectories(trainDir).Select(Path.GetFileName).FirstOrDefault(d => !known.Contains(d!));
        if (stray is not null)
            throw new InvalidDataException($"{Path.Combine(trainDir, stray)}: class folder not listed in {Path.Combine(root, WnidsFile)}");

        var files = new List<string>();
        var labels = new List<int>();
        for (int c = 0; c < wnids.Length; c++)
        {
            var imagesDir = Path.Combine(trainDir, wnids[c], "images");
            if (!Directory.Exists(imagesDir))
                throw new DirectoryNotFoundException($"{imagesDir}: missing training images of class {wnids[c]} (listed in {WnidsFile})");
            var classFiles = DataFile.SortOrdinal(Directory.GetFiles(imagesDir).Where(ImageFiles.IsImageFile).Select(Path.GetFileName)!);
            if (classFiles.Length == 0) throw new InvalidDataException($"{imagesDir}: no image files for class {wnids[c]}");
            files.AddRange(classFiles.Select(f => Path.Combine(imagesDir, f)));
            labels.AddRange(Enumerable.Repeat(c, classFiles.Length));
        }
        var (pixels, h, w) = ImageFiles.DecodeAll(files, 3, (Side, Side));
        return new RawImageSet(pixels, labels.ToArray(), files.Count, 3, h, w, classNames);
    }

    private static RawImageSet ReadVal(string root, string[] wnids, string[] classNames)
    {
        var valDir = Path.Combine(root, "val");
        var imagesDir = Path.Combine(valDir, "images");
        if (!Directory.Exists(imagesDir)) throw new DirectoryNotFoundException($"{imagesDir}: validation images not found");
        var annotations = ReadValAnnotations(Path.Combine(valDir, ValAnnotationsFile), wnids);
        var names = DataFile.SortOrdinal(Directory.GetFiles(imagesDir).Where(ImageFiles.IsImageFile).Select(Path.GetFileName)!);
        var labels = new int[names.Length];
        for (int i = 0; i < names.Length; i++)
            if (!annotations.TryGetValue(names[i], out labels[i]))
                throw new InvalidDataException($"{Path.Combine(valDir, ValAnnotationsFile)}: no annotation for {names[i]}, expected one line per image in {imagesDir}");
        if (annotations.Count != names.Length)
        {
            var missing = annotations.Keys.Except(names, StringComparer.Ordinal).First();
            throw new InvalidDataException(
                $"{Path.Combine(valDir, ValAnnotationsFile)}: annotates {annotations.Count} images but {imagesDir} holds {names.Length}; e.g. {missing} is missing");
        }
        var files = names.Select(n => Path.Combine(imagesDir, n)).ToList();
        var (pixels, h, w) = ImageFiles.DecodeAll(files, 3, (Side, Side));
        return new RawImageSet(pixels, labels, files.Count, 3, h, w, classNames);
    }

    /// <summary>file name → class index, from lines "val_0.JPEG &lt;tab&gt; n03444034 &lt;tab&gt; x0 y0 x1 y1".</summary>
    private static Dictionary<string, int> ReadValAnnotations(string path, string[] wnids)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: validation annotations not found", path);
        var index = wnids.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i, StringComparer.Ordinal);
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (line.Trim().Length == 0) continue;
            var fields = line.Split('\t');
            if (fields.Length < 2)
                throw new InvalidDataException($"{path}: line {lineNo}: expected '<file>\\t<wnid>\\t…', got '{line}'");
            if (!index.TryGetValue(fields[1].Trim(), out var label))
                throw new InvalidDataException($"{path}: line {lineNo}: unknown class {fields[1].Trim()} for {fields[0]}; it is not in {WnidsFile}");
            if (!result.TryAdd(fields[0].Trim(), label))
                throw new InvalidDataException($"{path}: line {lineNo}: {fields[0]} is annotated twice");
        }
        return result;
    }
}
