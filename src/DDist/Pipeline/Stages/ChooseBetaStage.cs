using System.Globalization;
using DDist.Recipes;

namespace DDist.Pipeline.Stages;

/// <summary>The β the small sets are cut at — the window search's best (chosen on the validation split, or on the test
/// set under a reference protocol) unless the recipe fixes it — kept as ChosenBeta in pipeline.json, with the
/// successive-halving summary when the recipe runs one, and the two real-image sets every later stage reads:
/// random.safetensors (MTT's start, the Random row) and window.safetensors (the Window-only row).</summary>
public sealed class ChooseBetaStage(Recipe recipe, string after) : IStage<StageContext>
{
    public string Name => RecipeStages.ChooseBeta;
    public string Description => "the chosen β (and the halving summary)";
    public string Outputs => "ChosenBeta (and Halving) in pipeline.json, halving.json, random.safetensors, window.safetensors";
    public IReadOnlyList<string> After => [after];
    public int Tasks => 1;
    public string TaskName(int task) => "β";

    public bool IsTaskDone(RunFolder folder, int task) => folder.State()?.ChosenBeta is not null;
    public bool IsDone(RunFolder folder) => IsTaskDone(folder, 0);

    public void Run(StageContext context)
    {
        var state = context.State;
        var window = context.Window;
        if (recipe.Window.HalvingStartEpochs is not null && state.Halving is null)
            state.Halving = HalvingStage.Search(context).Run(HalvingStage.Options(context), window, context.Progress, context.Cancel);
        state.ChosenBeta = recipe.Distill.Beta ?? window.BestBeta
                           ?? throw new InvalidOperationException($"{context.Folder.Window}: the window search finished without a best β");
        _ = context.RandomSet;   // written now: every later stage reads them
        _ = context.WindowSet;
        context.SaveState();
        context.Log(string.Create(CultureInfo.InvariantCulture, $"β = {context.Beta} ({context.BetaNote})"));
    }

    public void RunTask(StageContext context, int task) => Run(context);
}
