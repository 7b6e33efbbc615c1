using System.CommandLine;
using System.Globalization;
using DDist.Pipeline.Executors;

namespace DDist.Cli.Commands;

/// <summary>The options of `ddist run RECIPE --executor slurm` and the submission itself: the stages of the recipe (a
/// SelMatch recipe or a comparison) become job arrays with dependencies (<see cref="SlurmExecutor"/>); the command prints the job ids and returns.</summary>
internal sealed class SlurmSubmit
{
    public Option<string> Executor { get; } = new("--executor")
    {
        Description = "local (default: run every stage here) or slurm (submit the stages as job arrays and return)",
        DefaultValueFactory = _ => "local",
    };
    private readonly Option<string?> _partition = new("--partition") { Description = "slurm: partition (e.g. gpu)" };
    private readonly Option<int?> _gpus = new("--gpus-per-task") { Description = "slurm: GPUs per task (the tasks then run with --device cuda)" };
    private readonly Option<string?> _time = new("--time") { Description = "slurm: time limit per task, e.g. 04:00:00" };
    private readonly Option<string?> _account = new("--account") { Description = "slurm: account to charge" };
    private readonly Option<int?> _maxParallel = new("--max-parallel") { Description = "slurm: at most K tasks of one array at once" };
    private readonly Option<int> _cpus = new("--cpus-per-task") { Description = "slurm: CPUs (and libtorch threads) per task", DefaultValueFactory = _ => 1 };
    private readonly Option<string[]> _sbatch = new("--sbatch-arg")
    {
        Description = "slurm: one more sbatch argument, as is (repeatable), e.g. --sbatch-arg=--mem=32G", AllowMultipleArgumentsPerToken = false,
    };

    public void AddTo(Command cmd)
    {
        foreach (var o in new Option[] { Executor, _partition, _gpus, _time, _account, _maxParallel, _cpus, _sbatch }) cmd.Options.Add(o);
    }

    /// <summary>True when --executor slurm (false for local; anything else is an error).</summary>
    public bool Selected(ParseResult parse) => parse.GetValue(Executor)!.Trim().ToLowerInvariant() switch
    {
        "local" => false,
        "slurm" => true,
        var e => throw new CliException($"--executor '{e}': expected local or slurm"),
    };

    /// <summary>Where the run goes: --out, else runs/NAME (absolute: the tasks start in other working folders).</summary>
    public static string OutDir(CliContext ctx, string recipeName) => Path.GetFullPath(ctx.OutFolder(Path.Combine("runs", recipeName)));

    /// <param name="unroll">--unroll as given to `ddist run`, passed on to every task (which reads the recipe file), as
    /// --deterministic is.</param>
    public int Run(ParseResult parse, CliContext ctx, string recipePath, StagePlan plan, string? unroll = null)
    {
        var outDir = plan.OutDir;
        var options = new SlurmOptions
        {
            Partition = parse.GetValue(_partition), GpusPerTask = parse.GetValue(_gpus), Time = parse.GetValue(_time),
            Account = parse.GetValue(_account), MaxParallel = parse.GetValue(_maxParallel), CpusPerTask = parse.GetValue(_cpus),
            ExtraArguments = parse.GetValue(_sbatch) ?? [],
            // With GPUs the tasks run on CUDA: the login node that submits often has none, so --device is not required there.
            TaskArguments = ["--seed", ctx.Seed.ToString(CultureInfo.InvariantCulture), "--device", parse.GetValue(_gpus) is > 0 ? "cuda" : ctx.Device.ToString(),
                             .. unroll is null ? Array.Empty<string>() : ["--unroll", unroll],
                             .. ctx.Deterministic ? ["--deterministic"] : Array.Empty<string>(),
                             .. ctx.MemoryLimit is long limit ? ["--memory-limit", limit.ToString(CultureInfo.InvariantCulture)] : Array.Empty<string>()],
        };
        var executor = new SlurmExecutor(new SlurmClient(), options, DdistCommandLine(), Directory.GetCurrentDirectory());
        var result = executor.Submit(plan, recipePath);
        ctx.WriteResult(new
        {
            output = outDir, complete = result.AlreadyComplete, cancelledStranded = result.CancelledStranded,
            jobs = result.Jobs.Select(j => new { unit = j.Unit, jobId = j.JobId, tasks = j.Tasks, after = j.After }),
        }, w =>
        {
            if (result.CancelledStranded.Count > 0)
                w.WriteLine($"cancelled jobs {string.Join(", ", result.CancelledStranded)} of the earlier submission (their inputs had failed)");
            if (result.AlreadyComplete) { w.WriteLine($"{outDir}: every stage is finished; nothing to submit"); return; }
            foreach (var j in result.Jobs)
                w.WriteLine($"  {j.Unit,-16} job {j.JobId,-8} tasks {SlurmExecutor.ArrayRanges(j.Tasks)}" +
                            (j.After.Length > 0 ? $"  after {string.Join(",", j.After)}" : ""));
            w.WriteLine($"submitted {result.Jobs.Count} job(s); follow with `ddist status {outDir}`, logs in {Path.Combine(outDir, "slurm", "logs")}");
        });
        return ExitCodes.Ok;
    }

    /// <summary>How a Slurm task starts this same ddist: $DDIST_COMMAND when set (e.g. a wrapper script on the
    /// cluster), otherwise the running host and DDist.Cli.dll.</summary>
    private static string[] DdistCommandLine()
    {
        if (Environment.GetEnvironmentVariable("DDIST_COMMAND") is { Length: > 0 } custom)
            return custom.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var dll = typeof(Program).Assembly.Location;
        var host = Environment.ProcessPath;
        if (host is not null && Path.GetFileNameWithoutExtension(host) == "dotnet") return [host, dll];
        return [Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet", dll];
    }
}
