using System.Collections;
using System.Runtime.InteropServices;

namespace DDist.Torch.Tests;

[Collection(SerialCollection.Name)]
public partial class AllocatorTuningTests
{
    [Fact]
    public void TunesUnlessTheUserChoseOrOptedOut()
    {
        Assert.Null(AllocatorTuning.ReasonToLeave(new Hashtable { ["PATH"] = "/usr/bin" }));
        Assert.Equal("MALLOC_MMAP_MAX_ is set", AllocatorTuning.ReasonToLeave(new Hashtable { ["MALLOC_MMAP_MAX_"] = "65536" }));
        Assert.Equal("GLIBC_TUNABLES is set", AllocatorTuning.ReasonToLeave(new Hashtable { ["GLIBC_TUNABLES"] = "glibc.malloc.mmap_max=0" }));
        Assert.Equal("DDIST_MALLOC=system", AllocatorTuning.ReasonToLeave(new Hashtable { ["DDIST_MALLOC"] = "System" }));
        Assert.Null(AllocatorTuning.ReasonToLeave(new Hashtable { ["DDIST_MALLOC"] = "" }));
    }

    [Fact]
    public void LoadingTheLibraryRecordedWhatItDid()
    {
        // The test run sets malloc-env.sh's variables (./build.sh), so the library found them and left the allocator
        // alone; a run without them is tuned.
        var expected = AllocatorTuning.ReasonToLeave(Environment.GetEnvironmentVariables()) is { } why ? "left alone: " + why : "tuned";
        _ = Tensors.Zeros([1]);
        Assert.Equal(expected, AllocatorTuning.State);
    }

    /// <summary>glibc's defaults give a 32 MiB tensor its own mmap (counted in mallinfo2's hblkhd); once tuned, it comes
    /// from the heap. (Off the main thread glibc maps a request over its 64 MiB per-thread heap size whatever the
    /// settings, hence 32.)</summary>
    [Fact]
    public void TunedLargeTensorsComeFromTheHeapNotFromFreshMappings()
    {
        const long bytes = 32L << 20;
        try
        {
            Assert.Equal(1, Mallopt(MMmapMax, GlibcDefaultMmapMax));
            Assert.True(MappedBytesWhileHolding(bytes) >= bytes, "with glibc's defaults a 32 MiB tensor should be mmapped");
            Assert.Equal("tuned", AllocatorTuning.Apply());
            Assert.True(MappedBytesWhileHolding(bytes) < bytes, "tuned, a 32 MiB tensor should come from the heap");
        }
        finally { AllocatorTuning.Apply(); }
    }

    private const int MMmapMax = -4, GlibcDefaultMmapMax = 65536;

    /// <summary>How many more bytes are mmapped by malloc while a tensor of <paramref name="bytes"/> is alive.</summary>
    private static long MappedBytesWhileHolding(long bytes)
    {
        long before = (long)Mallinfo2().Hblkhd;
        using var t = Tensors.Zeros([bytes / 4]);
        return (long)Mallinfo2().Hblkhd - before;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena, Ordblks, Smblks, Hblks, Hblkhd, Usmblks, Fsmblks, Uordblks, Fordblks, Keepcost;
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int parameter, int value);

    [LibraryImport("libc", EntryPoint = "mallinfo2")]
    private static partial MallInfo2 Mallinfo2();
}
