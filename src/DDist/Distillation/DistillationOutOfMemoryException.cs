using DDist.Distillation.Unrolling;
using DDist.Torch;

namespace DDist.Distillation;

/// <summary>A trajectory-matching iteration could not get the memory it needs on its device. The message names what
/// sets that memory — the unrolling, syn_steps, batch_syn, the images — and what lowers it, and the last checkpoint,
/// which is left as it was: the run resumes from it with other settings (or on a larger device).</summary>
public sealed class DistillationOutOfMemoryException(int iteration, TrajectoryMatchingOptions o, long images, Device device,
                                                     string? lastCheckpoint, int? checkpointIteration, TorchException cause)
    : Exception($"distillation ran out of memory on {device} at iteration {iteration} ({UnrollModes.Name(o.Unroll)} unrolling of " +
                $"syn_steps {o.SynSteps}, batch_syn {o.BatchSyn?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "all"}, " +
                $"{images} images): {cause.Message.Split('\n')[0].Trim()}. {Remedy(o)} " +
                (lastCheckpoint is null ? "No checkpoint was written yet." : $"Last checkpoint {lastCheckpoint} (resumes at iteration {checkpointIteration})."),
                cause)
{
    public int Iteration { get; } = iteration;

    /// <summary>Full unrolling keeps every step's graph, so its memory grows with syn_steps; exact recomputation keeps
    /// one step's, for about 1.3× the time (MTT's users asked for TESLA for the same reason).</summary>
    private static string Remedy(TrajectoryMatchingOptions o) => o.Unroll == UnrollMode.Full
        ? "Full unrolling holds every step's graph: \"unroll\": \"exact\" in the recipe's mtt section (or `ddist run --unroll exact`) recomputes it instead, " +
          "memory flat in syn_steps for about 1.3× the time; fewer syn_steps or a smaller batch_syn also lower it."
        : "A smaller batch_syn, fewer images per class or a narrower network lower it.";
}
