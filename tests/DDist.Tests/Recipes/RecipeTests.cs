using DDist.Distillation;
using DDist.Recipes;
using DDist.Selection;

namespace DDist.Tests.Recipes;

public class RecipeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddist-recipe-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string RecipesDir()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "DDist.slnx"))) return Path.Combine(d.FullName, "recipes");
        throw new DirectoryNotFoundException("repository root (DDist.slnx) not found above " + AppContext.BaseDirectory);
    }

    private static Recipe Demo() => Recipe.Load(Path.Combine(RecipesDir(), "fashion-mnist-ipc300-demo.json"));

    [Fact]
    public void EveryShippedRecipeValidates()
    {
        Environment.SetEnvironmentVariable(Recipe.ScoresEnvironmentVariable, "/work/shared/scores");
        var files = Directory.GetFiles(RecipesDir(), "*.json");
        Assert.True(files.Length >= 14, $"{files.Length} recipes");
        foreach (var f in files)
        {
            var name = ComparisonRecipe.IsComparison(f) ? ComparisonRecipe.Load(f).Name : Recipe.Load(f).Name;
            Assert.Equal(Path.GetFileNameWithoutExtension(f), name);
        }
    }

    [Fact]
    public void PublishedSettingMapsToStageOptions()
    {
        Environment.SetEnvironmentVariable(Recipe.ScoresEnvironmentVariable, "/work/shared/scores");
        var r = Recipe.Load(Path.Combine(RecipesDir(), "cifar10-ipc250-selmatch.json"));
        Assert.Equal((150, 100), r.SplitPerClass);
        Assert.Equal(ScoreKind.CScore, r.ScoreKind);
        Assert.EndsWith("cscores_CIFAR10.npz", r.ResolveScoreFile());
        var tm = r.ToTrajectoryMatchingOptions("out");
        Assert.Equal((10000, 55, 2, 80, 125, 1000.0, 1e-5, 0.001), (tm.Iterations, tm.SynSteps, tm.ExpertEpochs, tm.MaxStartEpoch, tm.BatchSyn!.Value, tm.LrImg, tm.LrLr, tm.LrInit));
        Assert.Equal(SelectOn.Test, tm.SelectOn);
        var w = r.ToWindowSearchOptions("out", "cifar10");
        Assert.Equal(10, w.Betas.Count);
        Assert.Equal(WindowOffset.FractionOfIpc, w.Offset);
        var p = r.ToEvalProtocol();
        Assert.Equal(("ResNet18BN", 1000, 5, 0.1, 128), (p.Model, p.Epochs, p.Networks, p.LearningRate, p.BatchSize));
        var e = r.ToExpertOptions();
        Assert.Equal(("ConvNetBN", 100, 100), (e.Model, e.NumExperts, e.Epochs));
    }

    private string WriteVariant(Func<string, string> edit)
    {
        var text = edit(File.ReadAllText(Path.Combine(RecipesDir(), "fashion-mnist-ipc300-demo.json")));
        var path = Path.Combine(_dir, "variant.json");
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("\"model\": \"ConvNetW32\",\n    \"count\"", "\"model\": \"ConvNetW33x\",\n    \"count\"", "experts.model", "ConvNetW33x")]
    [InlineData("\"alpha\": 0.6", "\"alpha\": 1.5", "distill.alpha", "1.5")]
    [InlineData("\"ipc\": 300", "\"ipc\": 6001", "ipc", "smallest class")]
    [InlineData("\"offset\": \"fraction-of-class\"", "\"offset\": \"middle\"", "window.offset", "middle")]
    [InlineData("\"maxStartEpoch\": 3", "\"maxStartEpoch\": 9", "distill.maxStartEpoch", "experts.epochs is 6")]
    [InlineData("\"selectOn\": \"validation\"", "\"selectOn\": \"val\"", "distill.selectOn", "val")]
    public void BadFieldFailsBeforeAnyWorkNamingTheField(string from, string to, string field, string detail)
    {
        var path = WriteVariant(t => t.Contains(from) ? t.Replace(from, to) : throw new InvalidOperationException($"test edit '{from}' not found"));
        var ex = Assert.Throws<RecipeException>(() => Recipe.Load(path));
        Assert.Contains($"'{field}'", ex.Message);
        Assert.Contains(detail, ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void UnknownFieldAndBadBetaGridAreRejected()
    {
        var unknown = WriteVariant(t => t.Replace("\"seed\": 0,", "\"seed\": 0, \"sedd\": 1,"));
        Assert.Contains("sedd", Assert.Throws<RecipeException>(() => Recipe.Load(unknown)).Message);
        var grid = WriteVariant(t => t.Replace("0.8\n    ],", "1.2\n    ],"));
        var ex = Assert.Throws<RecipeException>(() => Recipe.Load(grid));
        Assert.Contains("'window.betas'", ex.Message);
        // The paper's reading: β = 0.96 of a 6000-image class (5760 + 300 > 6000) leaves no room for 300 images.
        var paper = WriteVariant(t => t.Replace("0.8\n    ],", "0.96\n    ],"));   // the demo reads β as a fraction of the class
        Assert.Contains("runs past the smallest class", Assert.Throws<RecipeException>(() => Recipe.Load(paper)).Message);
    }

    [Fact]
    public void DemoRecipeDescribesTheCpuPipeline()
    {
        var r = Demo();
        Assert.Equal(("fashion-mnist", 300, (180, 120)), (r.Dataset, r.Ipc, r.SplitPerClass));
        Assert.Null(r.Distill.Beta);                       // β comes from the window search
        Assert.Null(r.ResolveScoreFile());                 // forgetting scores are computed
        Assert.Equal(SelectOn.Validation, r.SelectOn);
        Assert.Equal(WindowOffset.FractionOfClass, r.WindowOffset);
        Assert.NotNull(r.ToHalvingOptions("h.json", "fashion-mnist-dc"));
        Assert.Equal("color_crop_cutout_flip_scale_rotate", r.DsaStrategy);
    }
}
