using DDist.Pipeline.Stages;
using DDist.Pipeline.Stages.Comparison;
using DDist.Recipes;
using DDist.Reporting;

namespace DDist.Pipeline.Executors;

/// <summary>A run cut into scheduler units, each bound to the run's folder: for a SelMatch recipe the stages of
/// <see cref="RecipeStages.For"/>, for a comparison those of <see cref="ComparisonStages.For"/> — the very lists the
/// local runners run. Every task runs the same stage code as the local run does (<see cref="RecipeRunner.RunTask"/>,
/// <see cref="ComparisonRunner.RunTask"/>), so a distributed run writes the same artefacts.</summary>
public sealed class StagePlan
{
    private readonly Action _claim;

    private StagePlan(string name, string outDir, IEnumerable<IStage> stages, string report, Action claim)
    {
        Name = name;
        Report = report;
        OutDir = outDir;
        Units = stages.Select(s => new StageUnit(s, new RunFolder(outDir))).ToList();
        _claim = claim;
    }

    public StagePlan(Recipe recipe, string outDir)
        : this(recipe.Name, outDir, RecipeStages.For(recipe), MarkdownReport.ReportFile, () => RecipeRunner.ClaimFolder(recipe, outDir)) { }

    public StagePlan(ComparisonRecipe recipe, string outDir)
        : this(recipe.Name, outDir, ComparisonStages.For(recipe), ComparisonRunner.MarkdownFile, () => ComparisonRunner.Claim(recipe, outDir)) { }

    /// <summary>The plan of the recipe in <paramref name="recipePath"/>, a SelMatch recipe or a comparison ("kind": "comparison").</summary>
    /// <param name="folderCopy">The recipe is the folder's recipe.json (<see cref="Recipe.Load"/>: a relative score file
    /// need not be beside it).</param>
    public static StagePlan Load(string recipePath, string outDir, bool folderCopy = false) => ComparisonRecipe.IsComparison(recipePath)
        ? new StagePlan(ComparisonRecipe.Load(recipePath), outDir)
        : new StagePlan(Recipe.Load(recipePath, scoreFileElsewhere: folderCopy), outDir);

    /// <summary>The recipe's name (the Slurm job names).</summary>
    public string Name { get; }
    public string OutDir { get; }
    /// <summary>The finished run's report, relative to <see cref="OutDir"/>.</summary>
    public string Report { get; }
    public IReadOnlyList<StageUnit> Units { get; }

    /// <summary>Throws, naming the field, when the folder was started with another recipe; records this one otherwise.</summary>
    public void ClaimFolder() => _claim();

    public StageUnit Unit(string name) => Units.FirstOrDefault(u => u.Name == name)
        ?? throw new ArgumentException($"stage unit '{name}': expected one of {string.Join(", ", Units.Select(u => u.Name))}");

    public bool Complete => Units.All(u => !u.MissingTasks().Any());
}
