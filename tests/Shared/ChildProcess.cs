using System.Diagnostics;

namespace DDist.Testing;

/// <summary>What a child process left: its exit code and everything it wrote.</summary>
internal sealed record ChildResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs a program a test needs (python3, chromium, dotnet, the built ddist) to its end. Both streams are read
/// as it writes (a full pipe would stall it), and past <c>timeout</c> it is killed with its children and the test
/// fails, so a hung child never holds the whole test run. Compiled into both test projects.</summary>
internal static class ChildProcess
{
    /// <param name="environment">Variables to set; a null value removes the variable.</param>
    public static ChildResult Run(string program, IEnumerable<string> args, TimeSpan timeout,
                                  IEnumerable<KeyValuePair<string, string?>>? environment = null, string? workDir = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workDir is not null) start.WorkingDirectory = workDir;
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? [])
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        using var p = Process.Start(start) ?? throw new InvalidOperationException($"{program}: could not start");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', start.ArgumentList)} took over {timeout.TotalSeconds:F0} s");
        }
        return new ChildResult(p.ExitCode, stdout.Result, stderr.Result);
    }
}
