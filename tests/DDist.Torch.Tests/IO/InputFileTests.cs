using DDist.Torch.IO;

namespace DDist.Torch.Tests.IO;

public class InputFileTests
{
    [Fact]
    public void AMissingFileOrAFolderInItsPlaceIsNamedWithWhatWasExpected()
    {
        using var dir = new TempDirectory();
        var file = dir.File("r.json");
        File.WriteAllText(file, "{}");
        Assert.Equal(file, InputFile.Require(file, "recipe file"));
        var missing = Assert.Throws<FileNotFoundException>(() => InputFile.Require(dir.File("absent.json"), "recipe file"));
        Assert.Equal($"{dir.File("absent.json")}: no such recipe file", missing.Message);
        var folder = Assert.Throws<FileNotFoundException>(() => InputFile.Require(dir.Path, "small-set file"));
        Assert.Equal($"{dir.Path}: a folder, expected a small-set file", folder.Message);
    }
}
