namespace DDist.Distillation;

/// <summary>The matching loss, a gradient or the images became NaN/Inf. The run stops; the last good checkpoint
/// (if any) is left untouched so it can be resumed with other settings.</summary>
public sealed class DistillationDivergedException(int iteration, string what, string? lastCheckpoint, int? checkpointIteration)
    : Exception($"distillation diverged at iteration {iteration}: {what} is not finite; " +
                (lastCheckpoint is null ? "no checkpoint was written yet" : $"last good checkpoint {lastCheckpoint} (resumes at iteration {checkpointIteration})") +
                ". Lower lr_img or lr_lr, or syn_steps.")
{
    public int Iteration { get; } = iteration;
}
