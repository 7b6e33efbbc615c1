using System.Text.Json;

namespace DDist.Tests.Cli;

/// <summary>`DNNL_MAX_CPU_ISA=AVX2` approximates an AVX2-only machine (README): it caps oneDNN, and the fused kernels
/// follow it too (DDIST_MAX_CPU_ISA, when set, caps them alone). Read once, when the shim loads, so each case is a
/// fresh process; `ddist selftest --json` says which set its kernels ran with.</summary>
public sealed class CpuKernelCapTests
{
    private static string KernelsWith(params (string Name, string Value)[] env)
    {
        KeyValuePair<string, string?>[] environment = [new("DNNL_MAX_CPU_ISA", null), new("DDIST_MAX_CPU_ISA", null), .. env.Select(e => new KeyValuePair<string, string?>(e.Name, e.Value))];
        var run = ChildProcess.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "DDist.Cli.dll"), "selftest", "--matching-only", "--syn-steps", "1",
                                              "--width", "4", "--depth", "1", "--image-size", "8", "--json", "--threads", "1"],
                                   TimeSpan.FromMinutes(2), environment);
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Stderr}");
        return JsonDocument.Parse(run.Stdout).RootElement.GetProperty("cpuKernels").GetString()!;
    }

    [Fact]
    public void TheOneDnnCapCapsTheFusedKernelsToo()
    {
        string widest = KernelsWith();   // the CPU's widest (FastKernelIsaTests checks it against /proc/cpuinfo)
        string avx2 = widest == "Baseline" ? "Baseline" : "Avx2";
        Assert.Equal(avx2, KernelsWith(("DNNL_MAX_CPU_ISA", "AVX2")));
        Assert.Equal(avx2, KernelsWith(("DNNL_MAX_CPU_ISA", "avx2_vnni")));
        Assert.Equal(widest, KernelsWith(("DNNL_MAX_CPU_ISA", "ALL")));
        Assert.Equal("Baseline", KernelsWith(("DNNL_MAX_CPU_ISA", "AVX512_CORE"), ("DDIST_MAX_CPU_ISA", "SSE41")));
    }
}
