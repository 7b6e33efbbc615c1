using DDist.Torch.IO;

namespace DDist.Torch.Tests.IO;

public class AtomicFileTests
{
    [Fact]
    public void AWriteThatThrowsMidwayLeavesTheOldFileAndNoTempFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("model.bin");
        File.WriteAllText(path, "old content");

        var e = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[100_000]); // more than the stream buffer, so some of it reaches the temp file
            throw new InvalidOperationException("disk full, say");
        }));

        Assert.Equal("disk full, say", e.Message);
        Assert.Equal("old content", File.ReadAllText(path));
        Assert.Equal(["model.bin"], dir.FileNames());
    }

    [Fact]
    public void AFailedFirstWriteCreatesNothing()
    {
        using var dir = new TempDirectory();
        var path = dir.File("new.bin");
        Assert.Throws<IOException>(() => AtomicFile.Write(path, s => { s.WriteByte(1); throw new IOException("boom"); }));
        Assert.Empty(dir.FileNames());
    }

    [Fact]
    public void ASuccessfulWriteReplacesTheFileAndCleansUp()
    {
        using var dir = new TempDirectory();
        var path = dir.File("a.json");
        File.WriteAllText(path, "old old old old old");
        AtomicFile.WriteAllText(path, "{\"new\": \"✓\"}");
        Assert.Equal("{\"new\": \"✓\"}", File.ReadAllText(path));
        Assert.Equal(new byte[] { (byte)'{' }, File.ReadAllBytes(path)[..1]); // no byte-order mark
        Assert.Equal(["a.json"], dir.FileNames());

        AtomicFile.WriteAllBytes(path, [1, 2, 3]);
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
        Assert.Equal(["a.json"], dir.FileNames());
    }

    [Fact]
    public void CreatesMissingFolders()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "runs", "r1", "out.txt");
        AtomicFile.WriteAllText(path, "x");
        Assert.Equal("x", File.ReadAllText(path));
    }

    /// <summary>A target that cannot be written is named in the error, never the temporary sibling the system saw.</summary>
    [Fact]
    public void AnUnwritableTargetIsNamedAsGiven()
    {
        using var dir = new TempDirectory();
        var file = dir.File("a-file");
        File.WriteAllText(file, "");
        var under = Path.Combine(file, "sub", "out.json");
        var e = Assert.Throws<IOException>(() => AtomicFile.WriteAllText(under, "x"));
        Assert.Equal($"{under}: cannot write: {file} is a file, not a folder", e.Message);

        var folder = dir.File("as-folder");
        Directory.CreateDirectory(folder);
        var moved = Assert.Throws<IOException>(() => AtomicFile.WriteAllText(folder, "x"));   // a folder where the file goes
        Assert.StartsWith($"{folder}: cannot write: ", moved.Message);
        Assert.DoesNotContain(".tmp", moved.Message);
        Assert.Equal(["a-file"], dir.FileNames());   // no temporary left behind
    }

    [Fact]
    public void SafeTensorsSaveThatFailsKeepsThePreviousFile()
    {
        using var dir = new TempDirectory();
        using var scope = new TensorScope();
        var path = dir.File("w.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensors.Full([3], 1) });
        var before = File.ReadAllBytes(path);

        var disposed = Tensors.Zeros([2]);
        disposed.Dispose();
        Assert.Throws<ObjectDisposedException>(() =>
            SafeTensors.Save(path, [KeyValuePair.Create("w", Tensors.Full([3], 2)), KeyValuePair.Create("gone", disposed)]));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["w.safetensors"], dir.FileNames());
    }
}
