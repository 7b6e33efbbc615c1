using DDist.Cli;

namespace DDist.Tests.Cli;

/// <summary>A recipe is found as given, else in the checkout's recipes/, else in the copy shipped with the program (the
/// .NET tool's); one found nowhere is left as given for the command's error to name.</summary>
public sealed class RecipeFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddist-recipefile-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string relative)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "{}");
        return path;
    }

    [Fact]
    public void ARecipeIsFoundAsGivenThenInTheCheckoutThenBesideTheProgram()
    {
        var checkout = Path.Combine(_dir, "checkout");
        var program = Path.Combine(_dir, "tool");
        var both = Write("checkout/recipes/both.json");
        Write("tool/recipes/both.json");
        var shipped = Write("tool/recipes/shipped.json");
        var given = Write("given.json");
        string[] homes = [checkout, program];

        Assert.Equal(given, RecipeFile.Resolve(given, homes));
        Assert.Equal(both, RecipeFile.Resolve("recipes/both.json", homes));
        Assert.Equal(both, RecipeFile.Resolve("both", homes));
        Assert.Equal(shipped, RecipeFile.Resolve("shipped.json", homes));
        Assert.Equal(shipped, RecipeFile.Resolve("elsewhere/shipped.json", homes));   // the name, in a recipes/ folder
        Assert.Equal("missing", RecipeFile.Resolve("missing", homes));
        Assert.Equal("/nowhere/shipped.json", RecipeFile.Resolve("/nowhere/shipped.json", homes));   // a full path is meant as given
    }

    [Fact]
    public void TheCommandLineFindsARecipeNamedWithoutItsFolder()
    {
        // In the checkout a bare name is recipes/NAME.json; --seed beside a recipe is refused, naming the file it found.
        var r = CliRun.Run("run", "fashion-mnist-ipc10-demo", "--seed", "1");
        CliRun.AssertFails(r, Path.Combine("recipes", "fashion-mnist-ipc10-demo.json") + " sets its own seed");
        CliRun.AssertFails(CliRun.Run("demo", "--seed", "1"), Path.Combine("recipes", "fashion-mnist-ipc10-demo.json") + " sets its own seed");
        CliRun.AssertFails(CliRun.Run("run", "no-such-recipe", "--seed", "1"), "no-such-recipe: no such recipe file");
    }
}
