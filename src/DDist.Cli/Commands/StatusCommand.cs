using System.CommandLine;
using DDist.Pipeline;
using DDist.Pipeline.Executors;
using DDist.Recipes;

namespace DDist.Cli.Commands;

/// <summary>`ddist status DIR`: what a run has finished (from its folder) and, for a Slurm run, what its jobs are
/// doing (from squeue).</summary>
public static class StatusCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var dir = new Argument<string>("dir") { Description = "Output folder of `ddist run`" };
        var cmd = new Command("status", "Progress of a run: finished tasks per stage and, for --executor slurm, the scheduler's view; " +
                                        "for a DD/SLD or DATM/TESLA folder, experts, the last checkpoint's iteration and evaluation networks") { dir };
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var d = parse.GetValue(dir)!;
            if (!Directory.Exists(d))   // a missing input (66), as `ddist report` says it
                throw new DirectoryNotFoundException(File.Exists(d) ? $"{d}: a file, not a run folder" : $"{d}: no such run folder");
            var jobs = SlurmJobs.TryLoad(d);
            var recipePath = jobs?.RecipePath is { Length: > 0 } p && File.Exists(p) ? p : Path.Combine(d, DDist.Pipeline.FolderRecipe.FileName);
            if (!File.Exists(recipePath)) throw new FileNotFoundException($"{d}: neither slurm/jobs.json nor recipe.json; is it the output folder of `ddist run`?", recipePath);
            if (RecipeKindCheck.Of(recipePath) is (RecipeKind.Unrolled or RecipeKind.SoftLabel) and var kind)
                return OneDistillation(ctx, d, recipePath, kind);
            var plan = StagePlan.Load(recipePath, d, folderCopy: recipePath == Path.Combine(d, DDist.Pipeline.FolderRecipe.FileName));
            RunProgress progress;
            try { progress = RunProgress.Read(plan, jobs, jobs is null ? null : new SlurmClient()); }
            catch (InvalidOperationException e) when (jobs is not null)
            {
                ctx.Note($"scheduler not reachable ({e.Message}); showing the folder only");
                progress = RunProgress.Read(plan, null, null);
            }
            // What every process has spent on each stage so far (a SelMatch run's pipeline.json; a comparison keeps its costs in its table).
            var state = File.Exists(Path.Combine(d, PipelineState.FileName)) ? PipelineState.Load(d) : null;
            var spent = state?.StageTimes() ?? [];
            // Once chosen, where the window was cut (β, and the score kind where the recipe lists several).
            string? chosen = state?.ChosenBeta is double beta
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"β {beta}") +
                  (state.ChosenScoreKind is { } scoreKind ? $" by {scoreKind} scores" : "")
                : null;
            ctx.WriteResult(new
            {
                output = Path.GetFullPath(d), complete = progress.Complete, active = progress.Active, stopped = progress.Stopped,
                units = progress.Units.Select(u => new { name = u.Name, tasks = u.Tasks, done = u.Done, jobId = u.JobId, scheduler = u.Scheduler, failed = u.Failed }),
                spent = spent.Select(t => new { stage = t.Stage, seconds = t.Seconds, peakMiB = t.PeakMiB }),
                beta = state?.ChosenBeta, scoreKind = state?.ChosenScoreKind,
            }, w =>
            {
                int width = progress.Units.Select(u => u.Name.Length).Append(16).Max();
                foreach (var u in progress.Units)
                    w.WriteLine($"  {u.Name.PadRight(width)} {u.Done}/{u.Tasks} done" + (u.JobId is null ? "" : $"   job {u.JobId}: " +
                                (u.Scheduler.Count == 0 ? "no longer listed by squeue" : string.Join(", ", u.Scheduler.Select(s => $"{s.Value} {s.Key}")))));
                if (chosen is not null) w.WriteLine($"  window at {chosen}");
                if (spent.Count > 0)
                    w.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"  time spent (every process): {string.Join(", ", spent.Select(t => $"{t.Stage} {t.Seconds:F0} s" + (t.PeakMiB is double mib ? $" ({DDist.Reporting.MemoryText.MiB(mib)} peak)" : "")))}; total {spent.Sum(t => t.Seconds):F0} s"));
                w.WriteLine(progress.Complete ? $"complete: {Path.GetFullPath(Path.Combine(d, plan.Report))}"
                    : progress.Active ? "running"
                    : jobs is null ? "not finished (run `ddist run` on the recipe to continue)"
                    : "stopped: some tasks failed or were cancelled; run the same `ddist run … --executor slurm` command again to submit what is missing");
            });
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static int OneDistillation(CliContext ctx, string dir, string recipePath, RecipeKind kind)
    {
        var p = DistillationStatus.Read(dir, recipePath, kind);
        ctx.WriteResult(new
        {
            output = Path.GetFullPath(dir), complete = p.Complete, result = p.Complete ? Path.GetFullPath(p.Result) : null,
            parts = p.Parts.Select(x => new { name = x.Name, done = x.Done, total = x.Total, unit = x.Unit }),
        }, w =>
        {
            foreach (var x in p.Parts) w.WriteLine($"  {x.Name,-16} {DistillationStatus.Describe(x)}");
            w.WriteLine(p.Complete ? $"complete: {Path.GetFullPath(p.Result)}" : "not finished (run the same `ddist run` or `ddist distill` command to continue)");
        });
        return ExitCodes.Ok;
    }
}
