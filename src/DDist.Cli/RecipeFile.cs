using DDist.Data;

namespace DDist.Cli;

/// <summary>Where a recipe named on the command line is: the path as given when it is a file; otherwise, for a relative
/// path or a bare name, the checkout's recipes/ (DDIST_ROOT, or the folder holding DDist.slnx above the working
/// directory), then the copy shipped with the program (the .NET tool carries recipes/ beside its assemblies). So
/// `ddist run recipes/fashion-mnist-ipc10-demo.json` and `ddist run fashion-mnist-ipc10-demo` work from any folder.
/// A recipe found nowhere is returned as given, and the command's error names it.</summary>
internal static class RecipeFile
{
    public static string Resolve(string given)
    {
        var repo = Environment.GetEnvironmentVariable(DatasetLocator.RepoRootVariable) is { Length: > 0 } r ? r : DatasetLocator.FindRepoRoot();
        return Resolve(given, repo is null ? [AppContext.BaseDirectory] : [repo, AppContext.BaseDirectory]);
    }

    internal static string Resolve(string given, IEnumerable<string> homes)
    {
        if (given.Length == 0 || File.Exists(given) || Directory.Exists(given) || Path.IsPathRooted(given)) return given;
        var name = given.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? given : given + ".json";
        foreach (var home in homes)
            foreach (var candidate in new[] { Path.Combine(home, name), Path.Combine(home, "recipes", Path.GetFileName(name)) })
                if (File.Exists(candidate)) return candidate;
        return given;
    }
}
