using System.Diagnostics;

namespace DDist.Tests.Pipeline;

/// <summary>A real one-node Slurm cluster for the tests, started by scripts/slurm-test-cluster.sh (which installs
/// slurm-wlm and munge when missing, as root) and stopped afterwards when this fixture started it.</summary>
public sealed class SlurmCluster : IDisposable
{
    public static string RepoRoot { get; } = FindRepoRoot();
    public static string Script => Path.Combine(RepoRoot, "scripts", "slurm-test-cluster.sh");
    public static string StateDir => Environment.GetEnvironmentVariable("DDIST_SLURM_DIR") is { Length: > 0 } d ? d : "/tmp/ddist-slurm";

    /// <summary>SLURM_CONF for the commands that talk to this cluster.</summary>
    public string Conf { get; }
    private readonly bool _startedHere;

    public SlurmCluster()
    {
        _startedHere = !Alive(Path.Combine(StateDir, "slurmctld.pid")) || !Alive(Path.Combine(StateDir, "slurmd.pid"));
        var (code, output) = Shell.Run(Script, ["start"], TimeSpan.FromMinutes(10));
        if (code != 0) throw new InvalidOperationException($"{Script} start failed (exit {code}):\n{output}");
        Conf = Path.Combine(StateDir, "slurm.conf");
    }

    public void Dispose()
    {
        if (_startedHere) Shell.Run(Script, ["stop"], TimeSpan.FromMinutes(1));
    }

    private static bool Alive(string pidFile)
    {
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid)) return false;
        try { return !Process.GetProcessById(pid).HasExited; }
        catch (ArgumentException) { return false; }
    }

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "DDist.slnx"))) return d.FullName;
        throw new DirectoryNotFoundException("repository root (DDist.slnx) not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A fact that needs Slurm: skipped, with the reason, only when the cluster cannot be started at all here
/// (not Linux, or Slurm missing and no root to install it). Anywhere it can be started, the fixture must start it.</summary>
internal sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "Slurm test cluster: Linux only";
        else if (!File.Exists(SlurmCluster.Script)) Skip = $"Slurm test cluster: {SlurmCluster.Script} missing";
        else if (Environment.UserName != "root" && !File.Exists("/usr/sbin/slurmctld"))
            Skip = "Slurm is not installed and this user cannot install it: apt-get install slurm-wlm munge (as root), then run the tests again";
    }
}

/// <summary>Runs a command and returns its exit code and combined output.</summary>
internal static class Shell
{
    public static (int Code, string Output) Run(string file, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? env = null)
    {
        using var p = Start(file, args, env);
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)}: still running after {timeout}");
        }
        p.WaitForExit();
        return (p.ExitCode, output.Result + error.Result);
    }

    public static Process Start(string file, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) start.Environment[k] = v;
        return Process.Start(start) ?? throw new InvalidOperationException($"{file}: could not start");
    }
}
