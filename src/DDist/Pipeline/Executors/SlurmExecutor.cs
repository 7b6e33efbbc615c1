using System.Text;
using DDist.Recipes;
using DDist.Torch.IO;

namespace DDist.Pipeline.Executors;

/// <summary>What one submission did: the jobs it queued (none when everything is finished) and the stranded jobs
/// of an earlier submission it cancelled.</summary>
public sealed record SlurmSubmission(IReadOnlyList<SlurmJobs.Job> Jobs, IReadOnlyList<string> CancelledStranded, bool AlreadyComplete);

/// <summary>Submits a <see cref="StagePlan"/> to Slurm: each unit with work left becomes one job array (one task per
/// missing expert, β, row …) that waits for its inputs with `--dependency=afterok`. Scripts and logs go to DIR/slurm/,
/// job ids to DIR/slurm/jobs.json. Submitting again submits only the tasks whose artefacts are missing (a cancelled or
/// killed task resumes from its checkpoint, since every stage resumes); while jobs of an earlier submission are still
/// queued or running, a new submission is refused.</summary>
public sealed class SlurmExecutor(SlurmClient client, SlurmOptions options, IReadOnlyList<string> ddistCommand, string workingDirectory)
{
    public SlurmSubmission Submit(StagePlan plan, string recipePath)
    {
        options.Validate();
        var slurmDir = Path.Combine(plan.OutDir, "slurm");
        Directory.CreateDirectory(Path.Combine(slurmDir, "logs"));
        using var submitting = LockOrRefuse(Path.Combine(slurmDir, "submit.lock"), plan.OutDir);
        // A folder holds one recipe: this throws, naming the field, when the folder was started with another.
        plan.ClaimFolder();

        var jobs = SlurmJobs.TryLoad(plan.OutDir) ?? new SlurmJobs();
        var states = SlurmStates.Read(client, jobs);
        var active = states.Where(s => s.Active).ToList();
        if (active.Count > 0)
            throw new RunFolderBusyException(
                $"{plan.OutDir}: jobs of an earlier submission are still queued or running ({Describe(active)}); wait for them " +
                $"(`ddist status {plan.OutDir}`) or cancel them (`scancel {string.Join(' ', active.Select(s => s.JobId).Distinct())}`) before submitting again");
        // Tasks behind a failed or cancelled input never start; clear them so the new submission replaces them.
        var stranded = states.Where(s => s.Stranded).Select(s => s.JobId).Distinct().ToList();
        client.Cancel(stranded);

        jobs.RecipePath = Path.GetFullPath(recipePath);
        var submission = new SlurmJobs.Submission(DateTime.UtcNow, new List<SlurmJobs.Job>(), stranded);
        if (plan.Complete) return new SlurmSubmission([], stranded, AlreadyComplete: true);
        jobs.Submissions.Add(submission);
        var submitted = new Dictionary<string, string>();
        foreach (var unit in plan.Units)
        {
            var missing = unit.MissingTasks().ToArray();
            if (missing.Length == 0) continue;
            var after = Dependencies(plan, unit, submitted).Distinct().ToArray();
            var script = WriteScript(plan, unit, slurmDir, jobs.RecipePath);
            var id = client.Submit(SbatchArguments(plan, unit, missing, after, slurmDir, script));
            submitted[unit.Name] = id;
            submission.Jobs.Add(new SlurmJobs.Job(unit.Name, id, missing, after, script));
            jobs.Save(plan.OutDir);
        }
        return new SlurmSubmission(submission.Jobs, stranded, AlreadyComplete: false);
    }

    /// <summary>The jobs of this submission a unit waits for: its inputs' jobs, or, for inputs already finished, theirs
    /// in turn (a unit never starts while an earlier stage still trains: the runner would redo that work itself).</summary>
    private static IEnumerable<string> Dependencies(StagePlan plan, StageUnit unit, IReadOnlyDictionary<string, string> submitted) =>
        unit.After.SelectMany(name => submitted.TryGetValue(name, out var id) ? [id] : Dependencies(plan, plan.Unit(name), submitted));

    private List<string> SbatchArguments(StagePlan plan, StageUnit unit, int[] tasks, string[] after, string slurmDir, string script)
    {
        var args = new List<string>
        {
            $"--job-name=ddist-{plan.Name}-{unit.Name}",
            $"--array={ArrayRanges(tasks)}" + (options.MaxParallel is int k ? $"%{k}" : ""),
            $"--output={Path.Combine(slurmDir, "logs", unit.Name + "-%A_%a.out")}",
            $"--chdir={workingDirectory}",
            $"--cpus-per-task={options.CpusPerTask}",
        };
        if (after.Length > 0) args.Add("--dependency=afterok:" + string.Join(':', after));
        if (options.Partition is { } p) args.Add($"--partition={p}");
        if (options.GpusPerTask is int g && g > 0) args.Add($"--gpus-per-task={g}");
        if (options.Time is { } t) args.Add($"--time={t}");
        if (options.Account is { } a) args.Add($"--account={a}");
        args.AddRange(options.ExtraArguments);
        args.Add(script);
        return args;
    }

    /// <summary>"0-3,5,7-8": the compact list sbatch --array takes.</summary>
    public static string ArrayRanges(IReadOnlyList<int> sortedTasks)
    {
        var parts = new List<string>();
        for (int i = 0; i < sortedTasks.Count;)
        {
            int j = i;
            while (j + 1 < sortedTasks.Count && sortedTasks[j + 1] == sortedTasks[j] + 1) j++;
            parts.Add(j == i ? $"{sortedTasks[i]}" : $"{sortedTasks[i]}-{sortedTasks[j]}");
            i = j + 1;
        }
        return string.Join(',', parts);
    }

    private string WriteScript(StagePlan plan, StageUnit unit, string slurmDir, string recipePath)
    {
        var path = Path.Combine(slurmDir, unit.Name + ".sbatch");
        var command = string.Join(' ', ddistCommand.Select(Quote));
        var task = new[] { "task", unit.Name, recipePath, "--out", Path.GetFullPath(plan.OutDir) }.Concat(options.TaskArguments);
        var text = new StringBuilder()
            .AppendLine("#!/bin/bash")
            .AppendLine($"# ddist run --executor slurm: {unit.Description} of recipe {plan.Name} ({unit.Outputs}); array index = task number.")
            .AppendLine("set -eu")
            .AppendLine($"exec {command} {string.Join(' ', task.Select(Quote))} --task \"$SLURM_ARRAY_TASK_ID\" --threads \"${{SLURM_CPUS_PER_TASK:-1}}\"")
            .ToString();
        AtomicFile.WriteAllText(path, text);
        return path;
    }

    private static string Quote(string s) => s.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";

    private static string Describe(IEnumerable<SlurmTaskState> states) =>
        string.Join(", ", states.GroupBy(s => s.JobId).Select(g => $"job {g.Key}: " + string.Join(' ', g.GroupBy(s => s.State).Select(x => $"{x.Count()} {x.Key}"))));

    private static FileStream LockOrRefuse(string path, string outDir) => ExclusiveFileLock.TryTake(path)
        ?? throw new RunFolderBusyException($"{outDir}: another `ddist run --executor slurm` is submitting into this folder right now");
}
