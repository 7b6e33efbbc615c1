using System.Diagnostics;
using DDist.Tests.Data;
using static DDist.Tests.Cli.CliRun;

namespace DDist.Tests.Cli;

/// <summary>Ctrl+C reaches a running command as a cancellation: it stops, says so on stderr and exits 130 (README,
/// "Exit codes"). Run as a separate process, since only a real SIGINT goes through the signal handling.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class InterruptTests : IDisposable
{
    private readonly TempDir _temp = new();
    public void Dispose() => _temp.Dispose();

    [RealDataFact("fashion-mnist")]
    public void SigintStopsARunningCommandWhichSaysSoAndExits130()
    {
        var set = _temp.Combine("r.safetensors");
        Assert.Equal(0, Run("select", "random", "--dataset", "fashion-mnist", "--ipc", "2", "--out", set).Code);
        // As a foreground command gets it: a test host started in the background by a script without job control
        // inherits SIGINT ignored (POSIX shells do that to background jobs), and a process that starts with SIGINT
        // ignored keeps ignoring it, as it should; env resets it for the child.
        var start = new ProcessStartInfo("env") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "--default-signal=INT", "dotnet", Path.Combine(AppContext.BaseDirectory, "DDist.Cli.dll"), "eval", set, "--protocol", "dc",
                                  "--model", "ConvNet(width=8,depth=1)", "--epochs", "100000", "--nets", "1", "--threads", "1" })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        try
        {
            var stderr = new System.Text.StringBuilder();
            using var training = new ManualResetEventSlim();
            process.ErrorDataReceived += (_, e) => { if (e.Data is null) return; lock (stderr) stderr.AppendLine(e.Data); if (e.Data.Contains("[dc net")) training.Set(); };
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            Assert.True(training.Wait(TimeSpan.FromMinutes(1)), "the evaluation never started training");

            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString()])) kill.WaitForExit();
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "SIGINT did not stop the command");
            process.WaitForExit();   // the stderr reader drains
            lock (stderr)
            {
                Assert.True(process.ExitCode == 130, $"exit {process.ExitCode}: {stderr}");
                Assert.Contains("interrupted; finished work and checkpoints are kept", stderr.ToString());
            }
        }
        finally
        {
            if (!process.HasExited) process.Kill();   // a failed check leaves no 100000-epoch evaluation behind
        }
    }
}
