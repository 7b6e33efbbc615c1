namespace DDist.Pipeline.Stages.Comparison;

/// <summary>The embedding network whose penultimate features herding, k-center (DeepCore's coresets) and SelMatch's
/// coverage metric read, trained once and kept (embedding.safetensors), so the set and table tasks of a split run
/// share one network instead of each training its own.</summary>
public sealed class EmbeddingStage : IStage<ComparisonContext>
{
    public string Name => ComparisonStages.Embedding;
    public string Description => "the embedding network of herding, k-center and coverage";
    public string Outputs => ComparisonContext.EmbeddingFile;
    public IReadOnlyList<string> After => [];
    public int Tasks => 1;
    public string TaskName(int task) => "embedding network";
    // A checkpoint still beside the network (killed between keeping it and dropping the checkpoint) is cleared by
    // running the task again, which only loads the network.
    public bool IsTaskDone(RunFolder folder, int task) => File.Exists(folder.Combine(ComparisonContext.EmbeddingFile)) &&
                                                         !File.Exists(Selection.EmbeddingNetwork.CheckpointFile(folder.Combine(ComparisonContext.EmbeddingFile)));
    public void RunTask(ComparisonContext context, int task) => _ = context.Embedding;
}
