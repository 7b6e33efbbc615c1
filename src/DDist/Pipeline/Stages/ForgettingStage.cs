using DDist.Recipes;
using DDist.Selection;

namespace DDist.Pipeline.Stages;

/// <summary>The training runs forgetting scores are counted over (Toneva et al. 2019), one task per run
/// (forgetting/run-R.safetensors; each also keeps the learning speed, Jiang et al. 2021); only for recipes that compute
/// their scores rather than import them. A run
/// depends only on its seed, so the scores stage combines them exactly as one process training every run.</summary>
/// <param name="afterExperts">Whether the plan trains experts (it does unless nothing is distilled).</param>
public sealed class ForgettingStage(Recipe recipe, bool afterExperts = true) : IStage<StageContext>
{
    public string Name => RecipeStages.Forgetting;
    // The stage keeps its name and time label ("forgetting runs") from before learning speed was computed from the same
    // runs: run folders record finished stages by them.
    public string Description => "the training runs computed scores come from (forgetting events, learning speed), one task per run";
    public string Outputs => "forgetting/run-R.safetensors";
    // Not an input of the runs; kept so the scheduler starts them once the experts are trained, as it always has.
    public IReadOnlyList<string> After => afterExperts ? [RecipeStages.Experts] : [];
    public int Tasks => recipe.ScoreSection.Runs;
    public string TaskName(int task) => $"forgetting run {task}";

    // A run's checkpoint still there (killed between keeping the run and dropping it) leaves the task to do again,
    // which only drops it.
    public bool IsTaskDone(RunFolder folder, int task) =>
        (ScoresStage.Finished(folder, recipe) || File.Exists(ForgettingScoreTrainer.RunFile(folder.Forgetting, task)))
        && !File.Exists(ForgettingScoreTrainer.CheckpointFile(folder.Forgetting, task));

    public const string Label = "forgetting runs";

    public void Run(StageContext context) => context.Timed(Label, () =>
    {
        for (int run = 0; run < Tasks; run++)
            if (!IsTaskDone(context.Folder, run)) RunTask(context, run);
    });

    public void RunTask(StageContext context, int task) => context.Worked(Label, () =>
    {
        if (ScoresStage.Finished(context.Folder, recipe) && !File.Exists(ForgettingScoreTrainer.RunFile(context.Folder.Forgetting, task)))
            File.Delete(ForgettingScoreTrainer.CheckpointFile(context.Folder.Forgetting, task));   // the scores no longer need the run
        else
            Trainer(context).TrainOrLoad(task, recipe.ToForgettingOptions(), context.Folder.Forgetting, context.Progress, context.Cancel);
    });

    internal static ForgettingScoreTrainer Trainer(StageContext context) =>
        new(() => context.Net(context.Recipe.ScoreModel!), context.Data.Train);
}
