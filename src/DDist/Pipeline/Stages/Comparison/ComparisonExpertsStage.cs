using DDist.Training.Experts;

namespace DDist.Pipeline.Stages.Comparison;

/// <summary>MTT's expert trajectories (buffer.py), trained once on the comparison's training set and shared by its MTT
/// set at every IPC: one task per expert (experts/expert_NNNN.safetensors + .json), each resuming from its per-epoch
/// checkpoint, its seed depending only on its index, so split runs write the same files.</summary>
public sealed class ComparisonExpertsStage(int count) : IStage<ComparisonContext>
{
    public string Name => ComparisonStages.Experts;
    public string Description => "MTT's expert trajectories, one task per expert";
    public string Outputs => "experts/expert_NNNN.safetensors and .json";
    public IReadOnlyList<string> After => [];
    public int Tasks => count;
    public string TaskName(int task) => $"expert {task}";

    public bool IsTaskDone(RunFolder folder, int task) => ExpertTrainer.IsKept(folder.Experts, task);

    public void RunTask(ComparisonContext context, int task) => context.TrainExpert(task, count);
}
