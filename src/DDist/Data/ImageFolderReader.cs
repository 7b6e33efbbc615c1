namespace DDist.Data;

/// <summary>Options of <see cref="ImageFolderReader"/>.</summary>
/// <param name="Channels">1 or 3; null detects it from the first training image (grey → 1, colour → 3).</param>
/// <param name="HoldOutEvery">Without train/ and test/ folders, file k (0-based, sorted) of each class goes to the
/// test split when k % HoldOutEvery == HoldOutEvery − 1, i.e. 1/HoldOutEvery of each class.</param>
public sealed record ImageFolderOptions(int? Channels = null, int HoldOutEvery = 6);

/// <summary>Reads an image-folder dataset: one sub-folder per class (class order: sorted folder names, ordinal),
/// PNG/JPEG files sorted by name inside each. With train/ and test/ sub-folders those are the splits; otherwise a
/// deterministic per-class hold-out forms the test split. All images must share one size.</summary>
public static class ImageFolderReader
{
    public static RawDataset Read(string root, ImageFolderOptions? options = null)
    {
        options ??= new ImageFolderOptions();
        if (options.Channels is not (null or 1 or 3)) throw new ArgumentException($"channels must be 1 or 3, got {options.Channels}", nameof(options));
        if (options.HoldOutEvery < 2) throw new ArgumentException($"HoldOutEvery must be at least 2, got {options.HoldOutEvery}", nameof(options));
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"{root}: image folder not found");

        var trainDir = Path.Combine(root, "train");
        var testDir = Path.Combine(root, "test");
        bool split = Directory.Exists(trainDir) && Directory.Exists(testDir);
        var classRoot = split ? trainDir : Directory.Exists(trainDir) ? trainDir : root;
        var classNames = ClassFolders(classRoot);
        var trainFiles = ListFiles(classRoot, classNames);
        if (trainFiles.Count == 0) throw new InvalidDataException($"{classRoot}: no PNG or JPEG files in the class folders");
        int emptyClass = Enumerable.Range(0, classNames.Length).FirstOrDefault(c => !trainFiles.Exists(f => f.Label == c), -1);
        if (emptyClass >= 0) throw new InvalidDataException($"{Path.Combine(classRoot, classNames[emptyClass])}: the class folder holds no PNG or JPEG files");
        int channels = options.Channels ?? ImageFiles.SniffChannels(trainFiles[0].Path);

        if (split)
        {
            var unknown = ClassFolders(testDir).FirstOrDefault(c => !classNames.Contains(c, StringComparer.Ordinal));
            if (unknown is not null)
                throw new InvalidDataException($"{Path.Combine(testDir, unknown)}: test class folder has no counterpart in {trainDir}");
            var testFiles = ListFiles(testDir, classNames);
            if (testFiles.Count == 0) throw new InvalidDataException($"{testDir}: no PNG or JPEG files in the test class folders");
            var train = Decode(trainFiles, channels, classNames, null);
            var test = Decode(testFiles, channels, classNames, (train.Height, train.Width));
            return new RawDataset($"folder:{root}", train, test, root);
        }

        var (trainPart, testPart) = HoldOut(trainFiles, options.HoldOutEvery);
        if (testPart.Count == 0)
            throw new InvalidDataException($"{root}: no test images: without train/ and test/ folders file k of each class is held out when " +
                                           $"k % {options.HoldOutEvery} == {options.HoldOutEvery - 1}, so some class needs at least {options.HoldOutEvery} files (or give train/ and test/ folders)");
        var heldTrain = Decode(trainPart, channels, classNames, null);
        var heldTest = Decode(testPart, channels, classNames, (heldTrain.Height, heldTrain.Width));
        var note = $"no train/ and test/ folders: file k of each class (sorted by name) is a test image when k % {options.HoldOutEvery} == {options.HoldOutEvery - 1} (1/{options.HoldOutEvery} held out)";
        return new RawDataset($"folder:{root}", heldTrain, heldTest, root, note);
    }

    private static string[] ClassFolders(string dir)
    {
        var names = DataFile.SortOrdinal(Directory.GetDirectories(dir).Select(d => Path.GetFileName(d)!).Where(n => !n.StartsWith('.')));
        if (names.Length == 0) throw new InvalidDataException($"{dir}: no class sub-folders, expected one folder of images per class");
        return names;
    }

    /// <summary>(file, class index) pairs, class by class, files sorted by name; a missing class folder (allowed in test/) adds none.</summary>
    private static List<(string Path, int Label)> ListFiles(string dir, string[] classNames)
    {
        var result = new List<(string, int)>();
        for (int c = 0; c < classNames.Length; c++)
        {
            var classDir = Path.Combine(dir, classNames[c]);
            if (!Directory.Exists(classDir)) continue;
            foreach (var name in DataFile.SortOrdinal(Directory.GetFiles(classDir).Where(ImageFiles.IsImageFile).Select(f => Path.GetFileName(f)!)))
                result.Add((Path.Combine(classDir, name), c));
        }
        return result;
    }

    private static (List<(string Path, int Label)> Train, List<(string Path, int Label)> Test) HoldOut(List<(string Path, int Label)> files, int every)
    {
        var train = new List<(string, int)>();
        var test = new List<(string, int)>();
        foreach (var group in files.GroupBy(f => f.Label))
        {
            int k = 0;
            foreach (var file in group) (k++ % every == every - 1 ? test : train).Add(file);
        }
        return (train, test);
    }

    private static RawImageSet Decode(List<(string Path, int Label)> files, int channels, string[] classNames, (int, int)? size)
    {
        var (pixels, h, w) = ImageFiles.DecodeAll(files.Select(f => f.Path).ToList(), channels, size);
        return new RawImageSet(pixels, files.Select(f => f.Label).ToArray(), files.Count, channels, h, w, classNames);
    }
}
