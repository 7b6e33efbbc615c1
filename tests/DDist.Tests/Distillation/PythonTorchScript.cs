using System.Diagnostics;
using DDist.Data;

namespace DDist.Tests.Distillation;

/// <summary>Runs our reference scripts under tests/python with /usr/bin/python3 when it can import torch (Debian's
/// python3-torch, the same libtorch 1.13): an independent PyTorch computation to check ours against.</summary>
internal static class PythonTorchScript
{
    public const string Interpreter = "/usr/bin/python3";
    private static readonly Lazy<string?> Unavailable = new(Probe);

    public static string? WhyUnavailable => Unavailable.Value;

    private static string? Probe()
    {
        if (!File.Exists(Interpreter)) return $"{Interpreter} not found (install python3-torch)";
        try
        {
            var (code, _, err) = Run(["-c", "import torch, numpy"], TimeSpan.FromSeconds(60));
            return code == 0 ? null : $"{Interpreter} cannot import torch and numpy (install python3-torch): {err.Trim()}";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or TimeoutException) { return e.Message; }
    }

    public static string ScriptPath(string name)
    {
        var root = DatasetLocator.FindRepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("repository root not found");
        return Path.Combine(root, "tests", "python", name);
    }

    /// <summary>Runs tests/python/NAME with the arguments; fails the test with Python's stderr on a non-zero exit.</summary>
    public static void RunOk(string name, params string[] args)
    {
        var (code, _, err) = Run([ScriptPath(name), .. args], TimeSpan.FromSeconds(120));
        Assert.True(code == 0, $"python {name} exited {code}:\n{err}");
    }

    private static (int, string, string) Run(string[] args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill();
            throw new TimeoutException($"{Interpreter} did not finish in {timeout.TotalSeconds} s");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
