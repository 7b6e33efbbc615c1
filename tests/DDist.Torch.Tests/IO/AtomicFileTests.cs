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

    /// <summary>A write killed before its rename leaves its temporary sibling; the sweep a resumed run does removes it
    /// once its writer is known gone, and nothing a live writer or anyone else may still need.</summary>
    [Fact]
    public void AbandonedTemporariesAreRemovedAndLiveOnesKept()
    {
        using var dir = new TempDirectory();
        string host = AtomicFile.Host, guid = Guid.NewGuid().ToString("N");
        string? inFlight = null;
        AtomicFile.Write(dir.File("probe.bin"), _ => inFlight = Directory.GetFiles(dir.Path, ".probe.bin.*").Single());
        Assert.Matches($@"/\.probe\.bin\.[0-9a-f]{{32}}\.{Environment.ProcessId}@{System.Text.RegularExpressions.Regex.Escape(host)}\.tmp$", inFlight);

        var sub = Path.Combine(dir.Path, "ipc10", "mtt");
        Directory.CreateDirectory(sub);
        string Make(string folder, string name, TimeSpan age)
        {
            var path = Path.Combine(folder, name);
            File.WriteAllText(path, "partial");
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow - age);
            return path;
        }
        var old = AtomicFile.AbandonedAfter + TimeSpan.FromHours(1);
        var deadHere = Make(sub, $".checkpoint.safetensors.{guid}.999999999@{host}.tmp", TimeSpan.Zero);   // above any pid_max
        var liveHere = Make(dir.Path, $".report.md.{guid}.{Environment.ProcessId}@{host}.tmp", old);        // this process writes it
        var otherFresh = Make(dir.Path, $".a.json.{guid}.12@node-7.cluster.tmp", TimeSpan.FromHours(1));     // another machine's, recent
        var otherOld = Make(sub, $".b.json.{guid}.12@node-7.cluster.tmp", old);
        var formerFresh = Make(dir.Path, $".c.json.999999999.{guid}.tmp", TimeSpan.Zero);                    // the earlier naming
        var formerOld = Make(dir.Path, $".d.json.999999999.{guid}.tmp", old);
        var notOurs = new[] { Make(dir.Path, ".cache.tmp", old), Make(dir.Path, "d.json", old), Make(sub, $".e.json.{guid}.tmp", old) };

        var removed = AtomicFile.RemoveAbandoned(dir.Path);

        Assert.Equal(new[] { deadHere, otherOld, formerOld }.Order(), removed.Order());
        foreach (var gone in removed) Assert.False(File.Exists(gone), gone);
        foreach (var kept in notOurs.Append(liveHere).Append(otherFresh).Append(formerFresh)) Assert.True(File.Exists(kept), kept);
        Assert.Empty(AtomicFile.RemoveAbandoned(Path.Combine(dir.Path, "no-such-folder")));
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
