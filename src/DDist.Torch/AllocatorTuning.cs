using System.Collections;
using System.Runtime.InteropServices;

namespace DDist.Torch;

/// <summary>glibc's malloc serves every allocation above its mmap threshold (which grows to at most 32 MB) with a fresh
/// mmap and unmaps it on free, so each large activation buffer of a training step costs new page faults and zeroing:
/// CPU training ran about 2× slower here (`bench/DDist.Bench --cases convnet-train-step,expert-epoch` with
/// DDIST_MALLOC=system against without: 1.8× the training step, 1.9× the expert epoch). When DDist.Torch loads it
/// therefore keeps freed memory in the heap for reuse (mmap off, a 1 GiB trim threshold, 256 MiB top pad: the values
/// <c>native/malloc-env.sh</c> gives <c>./ddist</c>), so a program that uses the library gets the speed without setting
/// anything. (Off the main thread glibc still maps a single request larger than its 64 MiB per-thread heap.) It leaves
/// the allocator alone where the process was started with glibc's own MALLOC_* tunables or GLIBC_TUNABLES (the user
/// chose), where <c>DDIST_MALLOC</c> is <c>system</c>, or where the C library has no mallopt.</summary>
public static partial class AllocatorTuning
{
    /// <summary>Set to <c>system</c> to keep glibc's defaults.</summary>
    public const string Variable = "DDIST_MALLOC";

    // glibc's <malloc.h>
    private const int MTrimThreshold = -1, MTopPad = -2, MMmapMax = -4;
    private const int TrimThreshold = 1 << 30, TopPad = 256 << 20;

    /// <summary>What happened when the library loaded: "tuned", or why not.</summary>
    public static string State { get; private set; } = "not applied yet";

    /// <summary>Why the allocator is left alone in this environment, or null to tune it.</summary>
    public static string? ReasonToLeave(IDictionary environment)
    {
        if (environment[Variable] is string v && v.Equals("system", StringComparison.OrdinalIgnoreCase))
            return $"{Variable}=system";
        foreach (var name in new[] { "MALLOC_MMAP_MAX_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "GLIBC_TUNABLES" })
            if (environment[name] is string { Length: > 0 }) return $"{name} is set";
        return null;
    }

    /// <summary>Tunes the allocator unless <see cref="ReasonToLeave"/> says not to; runs once, when DDist.Torch loads.</summary>
    internal static void ApplyOnLoad() =>
        State = ReasonToLeave(Environment.GetEnvironmentVariables()) is { } why ? "left alone: " + why : Apply();

    /// <summary>Sets the three parameters now, whatever the environment says; "tuned", or why it could not.</summary>
    public static string Apply()
    {
        if (!OperatingSystem.IsLinux()) return "left alone: not Linux";
        try
        {
            bool ok = Mallopt(MMmapMax, 0) == 1 && Mallopt(MTrimThreshold, TrimThreshold) == 1 && Mallopt(MTopPad, TopPad) == 1;
            return ok ? "tuned" : "left alone: mallopt refused a value";
        }
        // musl and other C libraries have no mallopt.
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { return "left alone: no glibc mallopt"; }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int parameter, int value);
}
