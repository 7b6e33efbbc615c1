namespace DDist.Torch.Tests.IO;

/// <summary>Runs small Python scripts with /usr/bin/python3 when it can import numpy (an independent reader and
/// writer of the file formats, to check ours against).</summary>
internal static class PythonNumpy
{
    public const string Interpreter = "/usr/bin/python3";
    private static readonly Lazy<string?> Unavailable = new(Probe);

    /// <summary>Why Python with numpy cannot be used here, or null when it can.</summary>
    public static string? WhyUnavailable => Unavailable.Value;

    private static string? Probe()
    {
        if (!File.Exists(Interpreter)) return $"{Interpreter} not found";
        try
        {
            var (code, _, err) = Run("import numpy", [], TimeSpan.FromSeconds(30));
            return code == 0 ? null : $"{Interpreter} cannot import numpy: {err.Trim()}";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or TimeoutException) { return e.Message; }
    }

    /// <summary>Runs a script (passed with -c) with arguments; returns exit code, stdout, stderr.</summary>
    public static ChildResult Run(string script, IEnumerable<string> args, TimeSpan? timeout = null) =>
        ChildProcess.Run(Interpreter, ["-c", script, .. args], timeout ?? TimeSpan.FromSeconds(60));

    /// <summary>Runs the script and fails the test (with Python's stderr) when it exits non-zero.</summary>
    public static string RunOk(string script, params string[] args)
    {
        var (code, stdout, stderr) = Run(script, args);
        Assert.True(code == 0, $"python exited {code}:\n{stderr}");
        return stdout;
    }
}

/// <summary>A test that needs /usr/bin/python3 with numpy; skipped, with the reason, where that is missing.</summary>
public sealed class PythonNumpyFactAttribute : FactAttribute
{
    public PythonNumpyFactAttribute()
    {
        if (PythonNumpy.WhyUnavailable is { } why) Skip = why;
    }
}
