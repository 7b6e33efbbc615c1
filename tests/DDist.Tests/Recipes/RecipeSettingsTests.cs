using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using DDist.Data;
using DDist.Distillation;
using DDist.Distillation.Unrolled;
using DDist.Recipes;
using DDist.Selection;
using DDist.Tests.Data;

namespace DDist.Tests.Recipes;

/// <summary>Each setting lives in one place: a recipe section is (derives from) the stage's settings type, is handed
/// to the stage whole, and is validated by that type's own check, which names the recipe's field path. Class sizes
/// come from the dataset's spec.</summary>
public class RecipeSettingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddist-settings-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string RecipesDir() => Path.Combine(DatasetLocator.FindRepoRoot(AppContext.BaseDirectory)!, "recipes");

    private static T Read<T>(string name) =>
        JsonSerializer.Deserialize<T>(File.ReadAllText(Path.Combine(RecipesDir(), name + ".json")), Recipe.Json)!;

    /// <summary>Every property the settings type declares has the same value in the section and in the options.</summary>
    private static void SameSettings<TSettings>(TSettings section, TSettings options)
    {
        var properties = typeof(TSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanRead && p.GetIndexParameters().Length == 0).ToArray();
        Assert.NotEmpty(properties);
        foreach (var p in properties)
            Assert.True(Equals(p.GetValue(section), p.GetValue(options)), $"{typeof(TSettings).Name}.{p.Name}: section {p.GetValue(section)}, options {p.GetValue(options)}");
    }

    [Fact]
    public void SectionsAreHandedToTheStagesWhole()
    {
        var demo = Read<Recipe>("fashion-mnist-ipc10-demo");
        SameSettings<TrajectoryMatchingSettings>(demo.Distill, demo.ToTrajectoryMatchingOptions("out"));
        SameSettings<ForgettingSettings>(demo.Scores!, demo.ToForgettingOptions());

        var datm = Read<SoftLabelRecipe>("cifar10-ipc1-datm");
        SameSettings<TrajectoryMatchingSettings>(datm.Matching, datm.ToMatchingOptions("out"));

        var dd = Read<UnrolledRecipe>("cifar10-ipc10-dd");
        SameSettings<DdSettings>(dd.Unrolled, dd.ToOptions("out", learnLabels: false));

        var family = Read<ComparisonRecipe>("mnist-family-cpu");
        SameSettings<GradientMatchingSettings>(family.Dc, family.ToGradientMatchingOptions("dc", 10));
        SameSettings<GradientMatchingSettings>(family.Dsa, family.ToGradientMatchingOptions("dsa", 10));
        SameSettings<DistributionMatchingSettings>(family.Dm, family.ToDistributionMatchingOptions(10));
        SameSettings<EmbeddingSettings>(family.Coreset, family.ToEmbeddingOptions());
        SameSettings<ForgettingSettings>(family.Forgetting, family.ToForgettingOptions());

        // The window search and successive halving share one grid.
        var published = Read<Recipe>("cifar10-ipc250-selmatch") with { Window = Read<Recipe>("cifar10-ipc250-selmatch").Window! with { HalvingStartEpochs = 10 } };
        var grid = published.ToWindowGrid("cifar10");
        var window = published.ToWindowSearchOptions("out", "cifar10");
        var halving = published.ToHalvingOptions("h.json", "cifar10")!;
        foreach (var p in typeof(WindowGrid).GetProperties().Where(p => p.Name != "Betas"))
        {
            Assert.Equal(p.GetValue(grid), p.GetValue(window));
            Assert.Equal(p.GetValue(grid), p.GetValue(halving));
        }
        Assert.Equal(grid.Betas, window.Betas);
        Assert.Equal(grid.Betas, halving.Betas);
    }

    [Fact]
    public void TheDistilledFractionKeepsItsJsonNameAlpha()
    {
        var demo = Read<Recipe>("fashion-mnist-ipc300-demo");
        Assert.Equal(0.6, demo.Distill.DistilledFraction);
        var distill = demo.ToJsonNode()["distill"]!.AsObject();
        Assert.Equal(0.6, distill["alpha"]!.GetValue<double>());
        Assert.False(distill.ContainsKey("distilledFraction"));
        // The student's step size is another setting, with another name.
        Assert.Equal(demo.Distill.LrInit, distill["lrInit"]!.GetValue<double>());
    }

    private string WriteDemoVariant(Action<JsonObject> edit)
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(RecipesDir(), "fashion-mnist-ipc300-demo.json")))!.AsObject();
        edit(node);
        var path = Path.Combine(_dir, "variant.json");
        File.WriteAllText(path, node.ToJsonString());
        return path;
    }

    [Fact]
    public void EveryRecipeKindTurnsItsEvaluationSectionIntoAProtocolTheSameWay()
    {
        var datm = Read<SoftLabelRecipe>("fashion-mnist-ipc10-datm-cpu");
        var learned = datm.ToEvalProtocol();
        Assert.Equal(("mtt", "ConvNetW32", 100, 2, 128, true), (learned.Name, learned.Model, learned.Epochs, learned.Networks, learned.BatchSize, learned.UseLearnedLr));
        // A stated lr is the lr, for a DATM recipe as for a SelMatch one (it used to be overridden by the learned step size).
        var stated = (datm with { Evaluation = datm.Evaluation with { Lr = 0.02 } }).ToEvalProtocol();
        Assert.Equal((false, 0.02), (stated.UseLearnedLr, stated.LearningRate));
        Assert.False(Read<Recipe>("mnist-ipc300-cpu").ToEvalProtocol().AugmentOptions.SimpleFlip);   // digits: the dataset's rules

        // A comparison's evaluation is the same section with DC's defaults and epochs per IPC.
        var family = Read<ComparisonRecipe>("mnist-family-cpu");
        var ipc1 = family.ToEvalProtocol(1);
        Assert.Equal(("dc", "ConvNet", 1000, 3, 256, false), (ipc1.Name, ipc1.Model, ipc1.Epochs, ipc1.Networks, ipc1.BatchSize, ipc1.AugmentOptions.SimpleFlip));
        Assert.Equal(300, family.ToEvalProtocol(10).Epochs);
        var unstated = JsonSerializer.Deserialize<ComparisonEvalRecipe>("""{ "epochs": 5 }""", Recipe.Json)!;
        Assert.Equal(("dc", "ConvNet"), (unstated.Protocol, unstated.Model));
        // A SelMatch recipe must state its evaluation model.
        var noModel = WriteDemoVariant(r => r["evaluation"]!.AsObject().Remove("model"));
        Assert.Contains("model", Assert.Throws<RecipeException>(() => Recipe.Load(noModel)).Message);
    }

    [Fact]
    public void EveryBadFieldOfEverySectionIsReportedAtOnceByItsPath()
    {
        var path = WriteDemoVariant(r =>
        {
            r["distill"]!["iterations"] = -1;
            r["distill"]!["synSteps"] = 0;
            r["distill"]!["lrImg"] = 0;
            r["scores"]!["epochs"] = 1;
            r["experts"]!["batchSize"] = 0;
            r["evaluation"]!["nets"] = 0;
        });
        var e = Assert.Throws<RecipeException>(() => Recipe.Load(path));
        Assert.Contains("field 'distill.iterations' is -1, expected ≥ 0", e.Errors);
        Assert.Contains("field 'distill.synSteps' is 0, expected ≥ 1", e.Errors);
        Assert.Contains("field 'distill.lrImg' is 0, expected > 0", e.Errors);
        Assert.Contains(e.Errors, m => m.StartsWith("field 'scores.epochs' is 1, expected ≥ 2", StringComparison.Ordinal));
        Assert.Contains("field 'experts.batchSize' is 0, expected ≥ 1", e.Errors);
        Assert.Contains("field 'evaluation.nets' is 0, expected ≥ 1", e.Errors);
    }

    [Fact]
    public void AStageGivenBadOptionsDirectlySaysTheSameWithoutTheRecipePrefix()
    {
        var e = Assert.Throws<ArgumentException>(() => new TrajectoryMatchingOptions { SynSteps = 0, OutputDir = _dir }.Validate(expertEpochs: 30));
        Assert.Contains("field 'synSteps' is 0, expected ≥ 1", e.Message);
        var gm = Assert.Throws<ArgumentException>(() => new GradientMatchingOptions { Ipc = 10, LrNet = 0 }.Validate());
        Assert.Contains("field 'lrNet' is 0, expected > 0", gm.Message);
        var dd = Assert.Throws<ArgumentException>(() => new DdOptions { OutputDir = _dir, DistillSteps = 0 }.Validate());
        Assert.Contains("field 'distillSteps' is 0, expected ≥ 1", dd.Message);
    }

    [Fact]
    public void ClassSizesComeFromTheDatasetSpec()
    {
        Assert.Equal((5421, 6000, 5000, 500, 500), (DatasetRegistry.GetSpec("mnist").SmallestTrainClass, DatasetRegistry.GetSpec("fashion-mnist").SmallestTrainClass,
            DatasetRegistry.GetSpec("cifar10").SmallestTrainClass, DatasetRegistry.GetSpec("cifar100").SmallestTrainClass, DatasetRegistry.GetSpec("tiny-imagenet").SmallestTrainClass));
        // MNIST's classes are unequal: IPC 5422 passes Fashion-MNIST's size check but not MNIST's.
        var mnist = WriteDemoVariant(r => { r["dataset"] = "mnist"; r["ipc"] = 5422; });
        var e = Assert.Throws<RecipeException>(() => Recipe.Load(mnist));
        Assert.Contains("field 'ipc' is 5422, larger than the smallest class of mnist (5421 images)", e.Errors);
        var comparison = Read<ComparisonRecipe>("mnist-family-cpu") with { Ipcs = [5422] };
        Assert.Contains(ComparisonRecipeValidation.Check(comparison), m => m.Contains("'ipcs'") && m.Contains("5421"));
    }

    [RealDataFact("mnist", "fashion-mnist")]
    public void TheSpecsSmallestClassIsTheDatasQuantity()
    {
        Assert.Equal(DatasetRegistry.GetSpec("mnist").SmallestTrainClass, RealMnist.Mnist.Train.ClassCounts().Min());
        Assert.Equal(DatasetRegistry.GetSpec("fashion-mnist").SmallestTrainClass, RealMnist.Fashion.Train.ClassCounts().Min());
    }

    [Fact]
    public void DistillationKnowsNothingOfSelection()
    {
        var dir = Path.Combine(DatasetLocator.FindRepoRoot(AppContext.BaseDirectory)!, "src", "DDist", "Distillation");
        var offenders = Directory.GetFiles(dir, "*.cs", SearchOption.AllDirectories)
            .Where(f => File.ReadLines(f).Any(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal) && l.Contains("DDist.Selection", StringComparison.Ordinal)))
            .ToArray();
        Assert.True(offenders.Length == 0, "Distillation imports DDist.Selection: " + string.Join(", ", offenders));
    }
}
