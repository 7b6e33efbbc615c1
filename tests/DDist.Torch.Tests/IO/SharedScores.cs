namespace DDist.Torch.Tests.IO;

/// <summary>Finds the project's shared data folder (the one holding scores/*.npy|npz, kept outside the repo):
/// $DDIST_SHARED if set, else the first ancestor of the test's base directory that has a child shared/scores.</summary>
internal static class SharedScores
{
    private static readonly Lazy<string?> Found = new(Locate);

    /// <summary>The scores folder, or null when this machine has none.</summary>
    public static string? Folder => Found.Value;

    public static string PathOf(string file) =>
        System.IO.Path.Combine(Folder ?? throw new InvalidOperationException("no shared/scores folder"), file);

    private static string? Locate()
    {
        var env = Environment.GetEnvironmentVariable("DDIST_SHARED");
        if (!string.IsNullOrEmpty(env))
            return Directory.Exists(System.IO.Path.Combine(env, "scores")) ? System.IO.Path.Combine(env, "scores") : null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "scores");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }
}

/// <summary>A test that reads the real score files; skipped, with the reason, where they are not present.</summary>
public sealed class SharedScoresFactAttribute : FactAttribute
{
    public SharedScoresFactAttribute()
    {
        if (SharedScores.Folder is null)
            Skip = "shared/scores not found (set DDIST_SHARED to the folder holding scores/, or place shared/ beside the checkout)";
    }
}
