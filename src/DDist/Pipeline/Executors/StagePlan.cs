using DDist.Pipeline.Stages;
using DDist.Recipes;

namespace DDist.Pipeline.Executors;

/// <summary>A recipe run cut into scheduler units: the stages of <see cref="RecipeStages.For"/>, the very list the local
/// <see cref="RecipeRunner"/> runs, each bound to the run's folder. Every task runs the same stage code as `ddist run`
/// does locally (<see cref="RecipeRunner.RunTask"/>), so a distributed run writes the same artefacts.</summary>
public sealed class StagePlan(Recipe recipe, string outDir)
{
    public Recipe Recipe { get; } = recipe;
    public string OutDir { get; } = outDir;
    public IReadOnlyList<StageUnit> Units { get; } = RecipeStages.For(recipe).Select(s => new StageUnit(s, new RunFolder(outDir))).ToList();

    public StageUnit Unit(string name) => Units.FirstOrDefault(u => u.Name == name)
        ?? throw new ArgumentException($"stage unit '{name}': expected one of {string.Join(", ", Units.Select(u => u.Name))}");

    public bool Complete => Units.All(u => !u.MissingTasks().Any());
}
