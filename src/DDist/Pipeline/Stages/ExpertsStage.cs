using DDist.Data;
using DDist.Recipes;
using DDist.Training.Experts;

namespace DDist.Pipeline.Stages;

/// <summary>Expert trajectories, one task per expert (experts/expert_NNNN.safetensors + .json). Each expert's seed
/// depends only on its index, so training them in separate tasks gives the same files; an interrupted expert resumes
/// from its per-epoch checkpoint.</summary>
public sealed class ExpertsStage(Recipe recipe) : IStage<StageContext>
{
    public string Name => RecipeStages.Experts;
    public string Description => "expert trajectories, one task per expert";
    public string Outputs => "experts/expert_NNNN.safetensors and .json";
    public IReadOnlyList<string> After => [];
    public int Tasks => recipe.Experts.Count;
    public string TaskName(int task) => $"expert {task}";

    public bool IsTaskDone(RunFolder folder, int task) => ExpertTrainer.IsKept(folder.Experts, task);

    public const string Label = "experts";

    public void Run(StageContext context) => context.Timed(Label, () => Train(context, ShardSpec.All));

    public void RunTask(StageContext context, int task) => context.Worked(Label, () => Train(context, new ShardSpec(task, Tasks)));

    private static void Train(StageContext context, ShardSpec shard)
    {
        var r = context.Recipe;
        var (raw, train) = (context.Data.Raw, context.Data.Train);
        // CPU recipes train experts on a class-balanced subset; the published ones on the whole set.
        using var subset = r.Experts.TrainPerClass is int per
            ? context.Data.Prepare(raw.Train.Subset(SubsetSampler.ClassBalanced(raw.Train.Labels, raw.NumClasses, per, r.Seed)), context.Options.Device)
            : null;
        var data = subset ?? train;
        var info = new ExpertDataInfo(raw.Name, context.Data.Space, context.Data.Zca is not null, data.Count, train.Channels, train.Height, train.Width, train.NumClasses);
        new ExpertTrainer(context.Net(r.Experts.Model), r.ToExpertOptions(), info)
            .Train(context.Folder.Experts, data, null, shard, context.Progress, context.Cancel);
    }
}
