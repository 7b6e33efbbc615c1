using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using DDist.Artifacts;
using DDist.Tests.Data;

namespace DDist.Tests.Pipeline;

/// <summary>`ddist run --executor slurm` on a real one-node Slurm cluster: the stages run as job arrays with
/// dependencies and write the same artefacts as the local executor; a task cancelled with scancel and one killed
/// with kill -9 are resubmitted by re-running the command, which submits only what is missing; a submission into a
/// folder whose jobs are still queued is refused.</summary>
public sealed class SlurmRunTests(SlurmCluster cluster) : IClassFixture<SlurmCluster>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(6);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A few-second recipe: 3 experts × 30 epochs on 2,000 Fashion-MNIST images (slow enough to be killed
    /// mid-run), imported scores (forgetting runs on all 60,000 images would double the test's time; their split is
    /// checked in ForgettingRunStoreTests), 2 β points and a halving round, 4 distillation iterations, 2 evaluation networks per row.</summary>
    private string WriteRecipe()
    {
        var scores = new StringBuilder("score\n");
        for (int i = 0; i < 60000; i++) scores.Append((i * 7919 % 60000) / 60000.0).Append('\n');
        _dir.WriteText("scores.csv", scores.ToString());
        return _dir.WriteText("slurm-tiny.json", """
        {
          "name": "slurm-tiny", "description": "Slurm executor test", "source": "test", "dataset": "fashion-mnist", "ipc": 5, "seed": 0,
          "experts": { "model": "ConvNet(width=8)", "count": 3, "epochs": 30, "lr": 0.03, "batchSize": 64, "trainPerClass": 200 },
          "scores": { "kind": "forgetting", "file": "scores.csv" },
          "window": { "betas": [0, 0.5], "offset": "fraction-of-class", "epochs": 2, "nets": 1, "halvingStartEpochs": 1 },
          "distill": { "alpha": 0.6, "iterations": 4, "synSteps": 2, "expertEpochs": 1, "maxStartEpoch": 2, "batchSyn": 10, "lrInit": 0.03,
                       "checkpointEvery": 2, "evalIterations": [2, 4], "validationPerClass": 10, "selectionEpochs": 2, "selectionNets": 1 },
          "evaluation": { "protocol": "sel", "model": "ConvNet(width=8)", "epochs": 2, "nets": 2 },
          "compare": ["random", "window", "mtt", "selmatch"]
        }
        """);
    }

    private Dictionary<string, string> Env => new() { ["SLURM_CONF"] = cluster.Conf };

    private static string Host => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
    private static string Cli => Path.Combine(AppContext.BaseDirectory, "DDist.Cli.dll");

    private (int Code, string Output) Ddist(params string[] args) => Shell.Run(Host, [Cli, .. args], TimeSpan.FromMinutes(2), Env);

    private JsonObject Status(string dir)
    {
        var (code, output) = Ddist("status", dir, "--json");
        Assert.True(code == 0, output);
        return JsonNode.Parse(output[..(output.LastIndexOf('}') + 1)])!.AsObject();
    }

    private JsonObject WaitFor(string dir, Func<JsonObject, bool> done, string what)
    {
        for (var clock = Stopwatch.StartNew(); clock.Elapsed < Patience; Thread.Sleep(1000))
            if (Status(dir) is var s && done(s)) return s;
        throw new TimeoutException($"{what}: not reached within {Patience}; last status:\n{Status(dir)}\nlogs:\n{Logs(dir)}");
    }

    private static string Logs(string dir) =>
        string.Join("\n", Directory.EnumerateFiles(Path.Combine(dir, "slurm", "logs")).Order().Select(f => $"--- {f}\n{File.ReadAllText(f)}"));

    /// <summary>The one-node cluster's slurmd log since the test's jobs began (when a task was signalled, when it ended),
    /// for a failure's message.</summary>
    private static string SlurmdLog()
    {
        var path = Path.Combine(SlurmCluster.StateDir, "log", "slurmd.log");
        return File.Exists(path) ? $"--- {path} (last 60 lines)\n{string.Join("\n", File.ReadLines(path).TakeLast(60))}" : $"{path}: missing";
    }

    private static JsonObject Unit(JsonObject status, string name) =>
        status["units"]!.AsArray().Select(u => u!.AsObject()).Single(u => (string)u["name"]! == name);

    [SlurmFact]
    public void SlurmRunMatchesLocalRunAndResubmitsOnlyWhatACancelledOrKilledTaskLeftUndone()
    {
        var recipe = WriteRecipe();
        var local = _dir.Combine("local");
        var slurm = _dir.Combine("slurm");
        // The local reference runs meanwhile, with the thread count of a one-CPU Slurm task.
        using var localRun = Shell.Start(Host, [Cli, "run", recipe, "--out", local, "--threads", "1"], Env);
        var localOutput = localRun.StandardError.ReadToEndAsync();

        var (code, output) = Ddist("run", recipe, "--out", slurm, "--executor", "slurm", "--max-parallel", "2", "--json");
        Assert.True(code == 0, output);
        var first = JsonNode.Parse(output[output.IndexOf('{')..])!["jobs"]!.AsArray();
        Assert.Equal(["experts", "scores", "window", "halving-1", "choose-beta", "distill-mtt", "distill-selmatch", "evaluate", "report"],
                     first.Select(j => (string)j!["unit"]!));
        var expertsJob = (string)first[0]!["jobId"]!;

        // A second submission while the first is queued is refused, naming the jobs. Checked beside the fault injection
        // below, not before it: the experts train meanwhile, and on a loaded machine this command's seconds were enough
        // for expert 0 to finish before its fault.
        var again = Task.Run(() => Ddist("run", recipe, "--out", slurm, "--executor", "slurm"));

        // Faults mid-run, each once the expert has checkpointed its first epoch: scancel task 0, kill -9 task 1.
        var partial = Path.Combine(slurm, "experts", ".partial");
        string Checkpoint(int k) => Path.Combine(partial, $"expert_{k:D4}", "epoch_001.safetensors");
        string Finished(int k) => Path.Combine(slurm, "experts", $"expert_{k:D4}.safetensors");
        bool cancelled = false, killed = false;
        Task<(int Code, string Output)>? scancel = null;
        for (var clock = Stopwatch.StartNew(); !(cancelled && killed); Thread.Sleep(20))
        {
            Assert.True(clock.Elapsed < Patience, $"experts 0 and 1 never checkpointed epoch 1\n{Logs(slurm)}");
            if (File.Exists(Finished(0)) && !cancelled || File.Exists(Finished(1)) && !killed)
                Assert.Fail($"an expert finished before its fault could be injected (cancelled {cancelled}, killed {killed}, task 1's " +
                            $"process {(TaskProcess(slurm, "experts", 1) is int p ? p : "not found")}, {clock.Elapsed.TotalSeconds:F1} s)\n{Logs(slurm)}");
            if (!cancelled && File.Exists(Checkpoint(0)))
            {
                // Not waited for here: on a loaded machine scancel can take longer than expert 1 needs to finish.
                scancel = Task.Run(() => Shell.Run("scancel", [$"{expertsJob}_0"], TimeSpan.FromSeconds(30), Env));
                cancelled = true;
            }
            if (!killed && File.Exists(Checkpoint(1)) && TaskProcess(slurm, "experts", 1) is int pid)
            {
                Process.GetProcessById(pid).Kill();   // SIGKILL: no clean-up runs in the task
                killed = true;
            }
        }

        var cancel = scancel!.Result;
        Assert.True(cancel.Code == 0, cancel.Output);
        var refused = again.Result;
        Assert.Equal(75, refused.Code);     // EX_TEMPFAIL: the folder is busy, try again later
        Assert.Contains("still queued or running", refused.Output);
        Assert.Contains(expertsJob, refused.Output);

        // The run stops: expert 2 finishes, the rest waits on inputs that failed.
        var stopped = WaitFor(slurm, s => (bool)s["stopped"]!, "the run stopping after the faults");
        Assert.Equal(1, (int)Unit(stopped, "experts")["done"]!);
        Assert.True((bool)Unit(stopped, "experts")["failed"]!);
        Assert.True(File.Exists(Checkpoint(0)) && File.Exists(Checkpoint(1)), "the killed experts' checkpoints must survive");
        var expert2Time = File.GetLastWriteTimeUtc(Finished(2));

        // Re-running the same command submits only the two unfinished experts (and the stages after them).
        (code, output) = Ddist("run", recipe, "--out", slurm, "--executor", "slurm", "--max-parallel", "2", "--json");
        Assert.True(code == 0, output);
        var second = JsonNode.Parse(output[output.IndexOf('{')..])!;
        Assert.Equal([0, 1], second["jobs"]![0]!["tasks"]!.AsArray().Select(t => (int)t!));
        Assert.NotEmpty(second["cancelledStranded"]!.AsArray());
        WaitFor(slurm, s => (bool)s["complete"]!, "the resubmitted run completing");
        var resumedJob = (string)second["jobs"]![0]!["jobId"]!;
        foreach (var k in new[] { 0, 1 })
            Assert.Matches(@"expert \d: resuming from its checkpoint \(([1-9]|[12][0-9]) epoch",
                           File.ReadAllText(Path.Combine(slurm, "slurm", "logs", $"experts-{resumedJob}_{k}.out")));
        Assert.Equal(expert2Time, File.GetLastWriteTimeUtc(Finished(2)));   // finished work is not redone

        Assert.True(localRun.WaitForExit(Patience), "local run still going");
        Assert.True(localRun.ExitCode == 0, localOutput.Result);
        for (int k = 0; k < 3; k++)
            Assert.True(File.ReadAllBytes(Path.Combine(local, "experts", $"expert_{k:D4}.safetensors"))
                            .AsSpan().SequenceEqual(File.ReadAllBytes(Finished(k))), $"expert {k} differs from the local run's");
        var (l, s) = (State(local), State(slurm));
        Assert.Equal((double)l["ChosenBeta"]!, (double)s["ChosenBeta"]!);
        Assert.Equal((double)l["Halving"]!["BestBeta"]!, (double)s["Halving"]!["BestBeta"]!);
        // The random pick trained as the window's points were: the same networks wherever it ran, one per window network.
        Assert.Equal(l["RandomOnChoice"]!["Accuracies"]!.AsArray().Select(x => (double)x!), s["RandomOnChoice"]!["Accuracies"]!.AsArray().Select(x => (double)x!));
        Assert.Single(l["RandomOnChoice"]!["Accuracies"]!.AsArray());
        Assert.Contains("| random pick (reference) |", File.ReadAllText(Path.Combine(local, "report.md")));
        foreach (var row in new[] { "random", "window", "mtt", "selmatch" })
        {
            var (a, b) = (l["Rows"]![row]!, s["Rows"]![row]!);
            Assert.Equal(((string)a["Method"]!, (double)a["Mean"]!, (double)a["Std"]!, (string)a["Note"]!),
                         ((string)b["Method"]!, (double)b["Mean"]!, (double)b["Std"]!, (string)b["Note"]!));
            Assert.Equal(a["Accuracies"]!.AsArray().Select(x => (double)x!), b["Accuracies"]!.AsArray().Select(x => (double)x!));
        }
        Assert.True(File.Exists(Path.Combine(slurm, "report.md")));

        // Stage times: the tasks record what they spent, so the Slurm run's report lists every stage the local run's
        // does. The experts' time holds four processes: task 2, the resumed tasks 0 and 1, and the cancelled task 0
        // (SIGTERM cancels, and the time spent is recorded on the way out); kill -9 left task 1's first part uncounted.
        static IEnumerable<string> Times(JsonObject state) => state["Work"]!.AsArray().Select(w => (string)w!["Stage"]!).Distinct().Order();
        Assert.Equal(Times(l), Times(s));
        var expertWork = s["Work"]!.AsArray().Where(w => (string)w!["Stage"]! == "experts").Select(w => (double)w!["Seconds"]!).ToList();
        Assert.True(expertWork.Count == 4 && expertWork.All(x => x > 0),
                    $"experts' work: [{string.Join(", ", expertWork)}]\nevery record: {s["Work"]!.ToJsonString()}\n{Logs(slurm)}\n{SlurmdLog()}");
    }

    /// <summary>A comparison split across the cluster (one task per set and per evaluation) gives the local run's table:
    /// the same sets, accuracies and coverage, with the embedding network trained once, by its own task, and read by
    /// the herding, k-center and table tasks.</summary>
    [SlurmFact]
    public void AComparisonSplitIntoTasksGivesTheLocalTableAndTrainsTheEmbeddingOnce()
    {
        const string net = "ConvNet(width=8,depth=2)";
        var recipe = _dir.WriteText("slurm-compare.json", $$"""
        {
          "kind": "comparison", "name": "slurm-compare", "dataset": "fashion-mnist", "ipcs": [1, 2], "seed": 4,
          "methods": ["random", "herding", "kcenter", "forgetting", "dm"], "trainPerClass": 12, "testPerClass": 5,
          "dm": { "model": "{{net}}", "iterations": 2, "batchReal": 8 },
          "coreset": { "model": "{{net}}", "epochs": 1 },
          "forgetting": { "model": "{{net}}", "epochs": 2 },
          "coverage": { "referencePerClass": 4 },
          "evaluation": { "model": "{{net}}", "epochs": 2, "nets": 2 }
        }
        """);
        var (local, slurm) = (_dir.Combine("local"), _dir.Combine("slurm"));
        var (code, output) = Ddist("run", recipe, "--out", slurm, "--executor", "slurm", "--json");
        Assert.True(code == 0, output);
        var jobs = JsonNode.Parse(output[output.IndexOf('{')..])!["jobs"]!.AsArray();
        Assert.Equal(["forgetting", "embedding", "sets", "evaluate", "table"], jobs.Select(j => (string)j!["unit"]!));
        Assert.Equal(10, jobs[2]!["tasks"]!.AsArray().Count);
        var localRun = Ddist("run", recipe, "--out", local, "--threads", "1");
        Assert.True(localRun.Code == 0, localRun.Output);
        var done = WaitFor(slurm, st => (bool)st["complete"]!, "the comparison completing");
        Assert.All(done["units"]!.AsArray(), u => Assert.Equal((int)u!["tasks"]!, (int)u["done"]!));

        JsonArray Rows(string dir) => JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "comparison.json")))!["rows"]!.AsArray();
        static string Row(JsonNode? r) => $"{r!["method"]} {r["ipc"]} {(double)r["mean"]!:R} {(double)r["std"]!:R} {(double)r["coverage"]!:R}";
        Assert.Equal(Rows(local).Select(Row), Rows(slurm).Select(Row));
        foreach (var set in new[] { "ipc2/herding/selected.safetensors", "ipc2/kcenter/selected.safetensors", "ipc1/forgetting/selected.safetensors" })
        {
            using var a = SmallSet.Load(Path.Combine(local, set));
            using var b = SmallSet.Load(Path.Combine(slurm, set));
            Assert.Equal(a.SourceIndex, b.SourceIndex);
            Assert.Equal(a.Images.ToArray<float>(), b.Images.ToArray<float>());
        }

        var logs = Directory.GetFiles(Path.Combine(slurm, "slurm", "logs"));
        Assert.Contains(logs, f => Path.GetFileName(f).StartsWith("embedding-") && File.ReadAllText(f).Contains("embedding network…"));
        Assert.DoesNotContain(logs, f => !Path.GetFileName(f).StartsWith("embedding-") && File.ReadAllText(f).Contains("embedding network…"));
        Assert.Contains("- shared: embedding network", File.ReadAllText(Path.Combine(slurm, "comparison.md")));
        var (_, status) = Ddist("status", slurm);
        Assert.Contains("complete: " + Path.Combine(slurm, "comparison.md"), status);

        // A few cells submitted by `ddist compare --ipc/--methods`: the tasks read the subset the folder keeps, and each
        // cell comes out as in the whole run (cells have their own seeds).
        var subset = _dir.Combine("subset");
        (code, output) = Ddist("compare", recipe, "--ipc", "1", "--methods", "random,dm", "--out", subset, "--executor", "slurm");
        Assert.True(code == 0, output);
        Assert.All(Directory.GetFiles(Path.Combine(subset, "slurm"), "*.sbatch"), f => Assert.Contains(Path.Combine(subset, "recipe.json"), File.ReadAllText(f)));
        WaitFor(subset, st => (bool)st["complete"]!, "the subset completing");
        static string Cell(JsonNode? r) => $"{r!["method"]} {r["ipc"]} {(double)r["mean"]!:R} {(double)r["std"]!:R}";
        Assert.Equal(Rows(local).Where(r => (int)r!["ipc"]! == 1 && (string)r["method"]! is "random" or "dm").Select(Cell), Rows(subset).Select(Cell));
    }

    /// <summary>`--unroll` and `--deterministic` given to `ddist run --executor slurm` reach every task's command line
    /// (the tasks read the recipe file, which does not hold them). Submitted held (`--hold`), so nothing runs, then cancelled.</summary>
    [SlurmFact]
    public void UnrollAndDeterministicGivenToTheSubmissionReachEveryTask()
    {
        var recipe = WriteRecipe();
        var dir = _dir.Combine("held");
        var (code, output) = Ddist("run", recipe, "--out", dir, "--executor", "slurm", "--unroll", "exact", "--deterministic", "--sbatch-arg=--hold", "--json");
        Assert.True(code == 0, output);
        var ids = JsonNode.Parse(output[output.IndexOf('{')..])!["jobs"]!.AsArray().Select(j => (string)j!["jobId"]!).ToList();
        try
        {
            var scripts = Directory.GetFiles(Path.Combine(dir, "slurm"), "*.sbatch");
            Assert.Equal(ids.Count, scripts.Length);
            Assert.All(scripts, s => Assert.Contains(" --unroll exact --deterministic ", File.ReadAllText(s)));
            // The task command takes it (and checks it) as `ddist run` does.
            var bad = Ddist("task", "distill-mtt", recipe, "--out", dir, "--task", "0", "--unroll", "tesly");
            Assert.NotEqual(0, bad.Code);
            Assert.Contains("--unroll 'tesly'", bad.Output);
        }
        finally { Shell.Run("scancel", ids, TimeSpan.FromSeconds(30), Env); }
    }

    private static JsonObject State(string dir) => JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "pipeline.json")))!.AsObject();

    /// <summary>The process of `ddist task UNIT … --out DIR --task i`, found through /proc.</summary>
    private static int? TaskProcess(string outDir, string unit, int task)
    {
        foreach (var proc in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out var pid)) continue;
            string[] args;
            try { args = File.ReadAllText(Path.Combine(proc, "cmdline")).Split('\0'); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            int t = Array.IndexOf(args, "task");
            if (t >= 0 && t + 1 < args.Length && args[t + 1] == unit && args.Contains(outDir)
                && Array.IndexOf(args, "--task") is var i && i >= 0 && i + 1 < args.Length && args[i + 1] == task.ToString())
                return pid;
        }
        return null;
    }
}
