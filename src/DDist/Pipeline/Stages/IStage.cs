namespace DDist.Pipeline.Stages;

/// <summary>One stage of a run as a unit of work, the same for every scheduler: the local runner runs the stages in
/// order (<see cref="IStage{TContext}.Run"/>), the Slurm executor submits each as a job array of <see cref="Tasks"/>
/// independent tasks (<see cref="IStage{TContext}.RunTask"/>: one expert, one β, one evaluation network …) that wait
/// for the stages named in <see cref="After"/>. What is done is read from the output folder alone, so finished work is
/// never redone and an interrupted run, local or distributed, resumes where it stopped.</summary>
public interface IStage
{
    /// <summary>The unit's name (`ddist task NAME`, the Slurm job name, `ddist status`).</summary>
    string Name { get; }

    /// <summary>What the unit makes, for the batch script's comment and status lines.</summary>
    string Description { get; }

    /// <summary>Where its outputs go in the run folder (each written atomically; what <see cref="IsDone"/> reads).</summary>
    string Outputs { get; }

    /// <summary>The stages whose outputs this one reads; it may start once they are done.</summary>
    IReadOnlyList<string> After { get; }

    /// <summary>How many independent pieces the stage splits into (1 for a stage that runs as one piece).</summary>
    int Tasks { get; }

    /// <summary>What task <paramref name="task"/> makes, e.g. "expert 3" or "network 1 of row mtt".</summary>
    string TaskName(int task);

    /// <summary>True when task <paramref name="task"/>'s outputs are in the folder.</summary>
    bool IsTaskDone(RunFolder folder, int task);

    /// <summary>True when the whole stage is finished: every task's outputs and what the stage makes of them (a summary,
    /// the assembled rows, the recorded stage time). By default: every task is done (a stage whose tasks are its
    /// whole output).</summary>
    bool IsDone(RunFolder folder) => Enumerable.Range(0, Tasks).All(i => IsTaskDone(folder, i));
}

/// <summary>How a stage runs, given what the stages of its kind of run share in one process (<typeparamref name="TContext"/>:
/// <see cref="StageContext"/> for a SelMatch recipe, <see cref="Comparison.ComparisonContext"/> for a comparison).</summary>
public interface IStage<in TContext> : IStage
{
    /// <summary>Runs the whole stage: the tasks still missing, then what combines them. Resumes what an earlier,
    /// interrupted run or other processes (scheduler tasks) left. By default every task in order (each skips itself
    /// when done).</summary>
    void Run(TContext context)
    {
        for (int task = 0; task < Tasks; task++) RunTask(context, task);
    }

    /// <summary>Runs one task only (what one Slurm array task does); its outputs are written atomically.</summary>
    void RunTask(TContext context, int task);
}
