using System.Diagnostics;
using DDist.Data;

namespace DDist.Tests.Unrolled;

/// <summary>Runs tests/python scripts with /usr/bin/python3 when it can import torch (Debian's python3-torch, the same
/// libtorch 1.13), as an independent computation to check ours against.</summary>
internal static class PythonTorch
{
    public const string Interpreter = "/usr/bin/python3";
    private static readonly Lazy<string?> Unavailable = new(Probe);

    public static string? WhyUnavailable => Unavailable.Value;

    private static string? Probe()
    {
        if (!File.Exists(Interpreter)) return $"{Interpreter} not found";
        try
        {
            var (code, _, err) = Run(["-c", "import torch"], TimeSpan.FromSeconds(60));
            return code == 0 ? null : $"{Interpreter} cannot import torch (install python3-torch): {err.Trim()}";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or TimeoutException) { return e.Message; }
    }

    public static string Script(string name)
    {
        var root = DatasetLocator.FindRepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("repository root not found");
        return Path.Combine(root, "tests", "python", name);
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["OMP_NUM_THREADS"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(120)))
        {
            p.Kill();
            throw new TimeoutException($"{Interpreter} did not finish in time");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public static void RunOk(params string[] args)
    {
        var (code, _, stderr) = Run(args);
        Assert.True(code == 0, $"python exited {code}:\n{stderr}");
    }
}

/// <summary>A test that needs /usr/bin/python3 with torch; skipped, with the reason, where that is missing.</summary>
public sealed class PythonTorchFactAttribute : FactAttribute
{
    public PythonTorchFactAttribute()
    {
        if (PythonTorch.WhyUnavailable is { } why) Skip = why;
    }
}
