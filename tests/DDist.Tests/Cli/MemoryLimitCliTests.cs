using DDist.Cli;
using DDist.Tests.Data;
using DDist.Tests.Models;
using DDist.Torch;
using static DDist.Tests.Cli.CliRun;

namespace DDist.Tests.Cli;

/// <summary>--memory-limit (or DDIST_MEMORY_LIMIT) caps CPU tensor memory: a command that needs more stops with "out of
/// memory" and exit 71, not as an internal failure; a bad size is a usage error; the next command without it has no
/// cap. Serial: the cap is the process's.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class MemoryLimitCliTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    [RealDataFact("fashion-mnist")]
    public void ACommandPastTheLimitStopsAsOutOfMemory()
    {
        var set = _dir.Combine("s.safetensors");
        var capped = Run("select", "random", "--dataset", "fashion-mnist", "--ipc", "2", "--memory-limit", "1M", "-o", set);
        Assert.Equal(ExitCodes.OutOfMemory, capped.Code);
        AssertFails(capped, "error: out of memory: ", "CPU out of memory: tried to allocate", "over the limit of 1.0 MiB", "checkpoints are kept");
        Assert.DoesNotContain("internal", capped.Err);
        Assert.False(File.Exists(set));

        try
        {
            Environment.SetEnvironmentVariable("DDIST_MEMORY_LIMIT", "1M");
            Assert.Equal(ExitCodes.OutOfMemory, Run("select", "random", "--dataset", "fashion-mnist", "--ipc", "2", "-o", set).Code);
            Assert.Equal(0, Run("select", "random", "--dataset", "fashion-mnist", "--ipc", "2", "--memory-limit", "4G", "-o", set).Code);   // the option wins
        }
        finally { Environment.SetEnvironmentVariable("DDIST_MEMORY_LIMIT", null); }
        Assert.Equal(0, Run("select", "random", "--dataset", "fashion-mnist", "--ipc", "2", "-o", set).Code);
        Assert.Null(TensorMemory.CpuLimitBytes);
    }

    [Fact]
    public void ABadSizeIsAUsageError()
    {
        var r = Run("models", "--dataset", "mnist", "--memory-limit", "lots");
        Assert.Equal(ExitCodes.UsageError, r.Code);
        AssertFails(r, "--memory-limit: 'lots': expected a positive size such as 8G, 512M or a number of bytes");
        try
        {
            Environment.SetEnvironmentVariable("DDIST_MEMORY_LIMIT", "-3G");
            AssertFails(Run("models", "--dataset", "mnist"), "DDIST_MEMORY_LIMIT: '-3G'");
        }
        finally { Environment.SetEnvironmentVariable("DDIST_MEMORY_LIMIT", null); }
    }

    [Theory]
    [InlineData("8G", 8L << 30)]
    [InlineData("8GiB", 8L << 30)]
    [InlineData("512M", 512L << 20)]
    [InlineData("512mb", 512L << 20)]
    [InlineData("1.5g", 3L << 29)]
    [InlineData("300000000", 300_000_000L)]
    [InlineData(" 64k ", 64L << 10)]
    public void SizesReadAsPeopleWriteThem(string text, long bytes) => Assert.Equal(bytes, DDist.Reporting.MemoryText.ParseBytes(text));

    [Theory]
    [InlineData("")]
    [InlineData("G")]
    [InlineData("0")]
    [InlineData("8X")]
    [InlineData("-1G")]
    [InlineData("99999999T")]
    public void NonSizesAreRefused(string text) => Assert.Throws<FormatException>(() => DDist.Reporting.MemoryText.ParseBytes(text));
}
