namespace DDist.Pipeline.Stages.Comparison;

/// <summary>The forgetting scores the "forgetting" coreset selects by (forgetting-scores.safetensors).</summary>
public sealed class ForgettingScoresStage : IStage<ComparisonContext>
{
    public string Name => ComparisonStages.Forgetting;
    public string Description => "forgetting scores on the comparison's training set";
    public string Outputs => ComparisonContext.ForgettingFile;
    public IReadOnlyList<string> After => [];
    public int Tasks => 1;
    public string TaskName(int task) => "forgetting scores";
    public bool IsTaskDone(RunFolder folder, int task) => File.Exists(folder.Combine(ComparisonContext.ForgettingFile));
    public bool IsDone(RunFolder folder) => IsTaskDone(folder, 0);
    public void Run(ComparisonContext context) => _ = context.Forgetting;
    public void RunTask(ComparisonContext context, int task) => Run(context);
}
