namespace DDist.Data;

/// <summary>Datasets by name: mnist, fashion-mnist, cifar10, cifar100, tiny-imagenet, and folder:PATH for any
/// image-folder dataset. Registered datasets are checked against their <see cref="DatasetSpec"/> when read.</summary>
public static class DatasetRegistry
{
    public const string FolderPrefix = "folder:";

    private static readonly string[] MnistClasses = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    private static readonly string[] FashionMnistClasses =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public static IReadOnlyList<DatasetSpec> Specs { get; } =
    [
        new("mnist", "MNIST", 1, 28, 28, 10, 60_000, 10_000, "", Normalization.MnistDc, SmallestTrainClass: 5421),
        new("fashion-mnist", "Fashion-MNIST", 1, 28, 28, 10, 60_000, 10_000, "", Normalization.FashionMnistDc, SmallestTrainClass: 6000),
        new("cifar10", "CIFAR-10", 3, 32, 32, 10, 50_000, 10_000, CifarReader.Cifar10Folder, Normalization.Cifar10, SmallestTrainClass: 5000),
        new("cifar100", "CIFAR-100 (fine labels)", 3, 32, 32, 100, 50_000, 10_000, CifarReader.Cifar100Folder, Normalization.Cifar100ReferenceCode, SmallestTrainClass: 500),
        new("tiny-imagenet", "TinyImageNet (val as test)", 3, 64, 64, 200, 100_000, 10_000, TinyImageNetReader.Folder, Normalization.TinySel, SmallestTrainClass: 500),
    ];

    /// <summary>Every accepted name, as shown in errors and help.</summary>
    public static IReadOnlyList<string> ValidNames { get; } = [.. Specs.Select(s => s.Name), FolderPrefix + "PATH"];

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["fashionmnist"] = "fashion-mnist", ["fmnist"] = "fashion-mnist", ["cifar-10"] = "cifar10",
        ["cifar-100"] = "cifar100", ["tiny"] = "tiny-imagenet", ["tinyimagenet"] = "tiny-imagenet",
    };

    /// <summary>The canonical name (case-insensitive; reference-code spellings such as "FashionMNIST" or "Tiny" accepted);
    /// "folder:PATH" with its path made absolute (from the current folder), so a set or score file that records the name
    /// still finds its images when read from elsewhere. Unknown names throw one error that lists the valid ones.</summary>
    public static string Canonical(string name)
    {
        var trimmed = name.Trim();
        if (trimmed.StartsWith(FolderPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var path = trimmed[FolderPrefix.Length..];
            if (path.Length == 0) throw new ArgumentException($"dataset '{name}': folder: needs a path, e.g. folder:/data/my-images");
            return FolderPrefix + Path.GetFullPath(path);
        }
        if (Specs.FirstOrDefault(s => string.Equals(s.Name, trimmed, StringComparison.OrdinalIgnoreCase)) is { } spec) return spec.Name;
        if (Aliases.TryGetValue(trimmed, out var canonical)) return canonical;
        throw new ArgumentException($"unknown dataset '{name}'; valid names: {string.Join(", ", ValidNames)}");
    }

    public static bool IsFolder(string name) => Canonical(name).StartsWith(FolderPrefix, StringComparison.Ordinal);

    /// <summary>The spec of a registered dataset; null for folder:PATH.</summary>
    public static DatasetSpec? TryGetSpec(string name)
    {
        var canonical = Canonical(name);
        return Specs.FirstOrDefault(s => s.Name == canonical);
    }

    public static DatasetSpec GetSpec(string name) =>
        TryGetSpec(name) ?? throw new ArgumentException($"dataset '{name}' is an image folder; it has no fixed spec");

    /// <summary>The normalisation a dataset is trained with: the registry's reference constants, or for an image folder
    /// the training split's own per-channel statistics (named "computed:folder:PATH", so a set records what it used).</summary>
    public static Normalization NormalizationFor(RawDataset raw) =>
        TryGetSpec(raw.Name)?.DefaultNormalization ?? Normalization.FromData(raw.Train, $"computed:{raw.Name}");

    /// <summary>Locates (see <see cref="DatasetLocator"/>) and reads a dataset.</summary>
    public static RawDataset Load(string name, DatasetLocator? locator = null, ImageFolderOptions? folderOptions = null)
    {
        var canonical = Canonical(name);
        if (canonical.StartsWith(FolderPrefix, StringComparison.Ordinal))
            return ImageFolderReader.Read(canonical[FolderPrefix.Length..], folderOptions);
        var dir = (locator ?? DatasetLocator.FromEnvironment()).Locate(canonical);
        return ReadFrom(canonical, dir);
    }

    /// <summary>Reads a registered dataset from <paramref name="dir"/> (its folder, or the archive's top folder) and
    /// checks it against the spec (60000/10000 MNIST images, 10000 records per CIFAR-10 batch, …).</summary>
    public static RawDataset ReadFrom(string name, string dir)
    {
        var spec = GetSpec(name);
        var data = spec.Name switch
        {
            "mnist" => IdxReader.ReadDataset(dir, spec.Name, MnistClasses),
            "fashion-mnist" => IdxReader.ReadDataset(dir, spec.Name, FashionMnistClasses),
            "cifar10" => CifarReader.ReadCifar10(dir, recordsPerBatch: 10_000),
            "cifar100" => CifarReader.ReadCifar100(dir, trainRecords: spec.TrainCount, testRecords: spec.TestCount),
            "tiny-imagenet" => TinyImageNetReader.Read(dir),
            _ => throw new InvalidOperationException($"no reader registered for {spec.Name}"),
        };
        spec.Check(data, data.Source);
        return data;
    }

    /// <summary>The folder under <paramref name="dir"/> that holds the dataset's files, or null when the marker files are
    /// absent. A cheap presence check (no file is read).</summary>
    public static string? FindLayout(string name, string dir)
    {
        var spec = GetSpec(name);
        foreach (var candidate in new[] { dir, Path.Combine(dir, spec.LayoutFolder) }.Distinct())
        {
            bool complete = spec.Name switch
            {
                "mnist" or "fashion-mnist" => IdxReader.DatasetFileNames.All(f => IdxReader.FindFile(candidate, f) is not null),
                "cifar10" => CifarReader.Cifar10TrainFiles.Append(CifarReader.Cifar10TestFile).All(f => File.Exists(Path.Combine(candidate, f))),
                "cifar100" => File.Exists(Path.Combine(candidate, CifarReader.Cifar100TrainFile)) && File.Exists(Path.Combine(candidate, CifarReader.Cifar100TestFile)),
                "tiny-imagenet" => File.Exists(Path.Combine(candidate, TinyImageNetReader.WnidsFile)) && Directory.Exists(Path.Combine(candidate, "train")),
                _ => false,
            };
            if (complete) return candidate;
        }
        return null;
    }
}
