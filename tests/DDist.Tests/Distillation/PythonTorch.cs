namespace DDist.Tests.Distillation;

/// <summary>Runs our own PyTorch reference scripts (tests/DDist.Tests/Python/) with /usr/bin/python3 when it can
/// import torch (Debian python3-torch, installed by `./build.sh test`).</summary>
internal static class PythonTorch
{
    public const string Interpreter = "/usr/bin/python3";
    private static readonly Lazy<string?> Unavailable = new(Probe);

    /// <summary>Why Python with torch cannot be used here, or null when it can.</summary>
    public static string? WhyUnavailable => Unavailable.Value;

    private static string? Probe()
    {
        if (!File.Exists(Interpreter)) return $"{Interpreter} not found (./build.sh test installs python3-torch)";
        try
        {
            var (code, _, err) = Run(["-c", "import torch, numpy"], TimeSpan.FromSeconds(60));
            return code == 0 ? null : $"{Interpreter} cannot import torch and numpy (./build.sh test installs python3-torch): {err.Trim()}";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or TimeoutException) { return e.Message; }
    }

    /// <summary>The path of a script under tests/DDist.Tests/Python.</summary>
    public static string Script(string name)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "DDist.slnx"))) return Path.Combine(d.FullName, "tests", "DDist.Tests", "Python", name);
        throw new DirectoryNotFoundException("repository root (DDist.slnx) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Python on two OpenMP threads (the CI machine's cores, shared with the test run).</summary>
    public static ChildResult Run(IEnumerable<string> args, TimeSpan? timeout = null) =>
        ChildProcess.Run(Interpreter, args, timeout ?? TimeSpan.FromSeconds(120), [new("OMP_NUM_THREADS", "2")]);

    /// <summary>Runs a script and fails the test (with Python's stderr) when it exits non-zero.</summary>
    public static void RunScript(string script, params string[] args)
    {
        var (code, _, stderr) = Run([Script(script), .. args]);
        Assert.True(code == 0, $"python exited {code}:\n{stderr}");
    }
}

/// <summary>A test that needs /usr/bin/python3 with torch; skipped, with the reason, only where that is missing
/// (CI runs `./build.sh test`, which installs it).</summary>
public sealed class PythonTorchFactAttribute : FactAttribute
{
    public PythonTorchFactAttribute()
    {
        if (PythonTorch.WhyUnavailable is { } why) Skip = why;
    }
}

/// <summary>As <see cref="PythonTorchFactAttribute"/> for theories.</summary>
public sealed class PythonTorchTheoryAttribute : TheoryAttribute
{
    public PythonTorchTheoryAttribute()
    {
        if (PythonTorch.WhyUnavailable is { } why) Skip = why;
    }
}
