using DDist.Pipeline;
using DDist.Tests.Data;

namespace DDist.Tests.Pipeline;

/// <summary>The one file lock behind the run lock, the pipeline.json merge lock and the Slurm submission lock: busy only
/// while another handle holds it, and a failure that is not "held" is reported rather than waited out.</summary>
public sealed class ExclusiveFileLockTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ALockIsBusyWhileHeldAndFreeOnceDisposed()
    {
        var path = _dir.Combine("x.lock");
        using (var held = ExclusiveFileLock.TryTake(path))
        {
            Assert.NotNull(held);
            Assert.Null(ExclusiveFileLock.TryTake(path));   // flock is per open file: a second open in this process conflicts too
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Assert.Null(ExclusiveFileLock.Wait(path, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(100)));
            Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(100));
        }
        using var again = ExclusiveFileLock.TryTake(path);
        Assert.NotNull(again);
        Assert.True(File.Exists(path), "the lock file is kept after release");
    }

    [Fact]
    public async Task AWaitEndsWhenTheHolderLetsGo()
    {
        var path = _dir.Combine("y.lock");
        var held = ExclusiveFileLock.TryTake(path)!;
        var waiter = Task.Run(() => ExclusiveFileLock.Wait(path, TimeSpan.FromMilliseconds(10), patience: null));
        await Task.Delay(100);
        Assert.False(waiter.IsCompleted);
        held.Dispose();
        using var got = await waiter.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(got);
    }

    [Fact]
    public void AFailureOtherThanBusyIsAnErrorNotAWait()
    {
        var inMissingFolder = _dir.Combine("no-such-folder", "z.lock");
        Assert.Throws<DirectoryNotFoundException>(() => ExclusiveFileLock.TryTake(inMissingFolder));
        Assert.Throws<DirectoryNotFoundException>(() => ExclusiveFileLock.Wait(inMissingFolder, TimeSpan.FromMilliseconds(10), patience: null));
    }
}
