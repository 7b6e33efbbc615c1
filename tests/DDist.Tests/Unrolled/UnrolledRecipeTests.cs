using DDist.Distillation;
using DDist.Evaluation;
using DDist.Distillation.Unrolled;
using DDist.Recipes;
using DDist.Tests.Data;

namespace DDist.Tests.Unrolled;

/// <summary>The DD / SLD and DATM / TESLA recipes: every shipped one validates and maps to its options; bad fields
/// are reported by their JSON path before any work starts.</summary>
public class UnrolledRecipeTests
{
    private static string RecipesDir() => Path.Combine(DDist.Data.DatasetLocator.FindRepoRoot(AppContext.BaseDirectory)!, "recipes");

    [Fact]
    public void EveryShippedUnrolledAndSoftLabelRecipeValidates()
    {
        int unrolled = 0, soft = 0;
        foreach (var f in Directory.GetFiles(RecipesDir(), "*.json"))
        {
            switch (RecipeKinds.Of(f))
            {
                case RecipeKind.Unrolled:
                    Assert.Equal(Path.GetFileNameWithoutExtension(f), UnrolledRecipe.Load(f).Name);
                    unrolled++;
                    break;
                case RecipeKind.SoftLabel:
                    Assert.Equal(Path.GetFileNameWithoutExtension(f), SoftLabelRecipe.Load(f).Name);
                    soft++;
                    break;
            }
        }
        Assert.True(unrolled >= 6, $"{unrolled} DD/SLD recipes");
        Assert.True(soft >= 5, $"{soft} DATM/TESLA recipes");
    }

    [Fact]
    public void PublishedDdRecipe_MapsToTheOfficialDefaults()
    {
        var o = UnrolledRecipe.Load(Path.Combine(RecipesDir(), "mnist-ipc10-dd.json")).ToOptions("out", learnLabels: false);
        Assert.Equal(("LeNet", 10, 3, 30, 0.02, 1024, DdInit.Unknown), (o.Model, o.DistillSteps, o.DistillEpochs, o.StepCount, o.DistillLr, o.BatchSize, o.Init));
        var c = UnrolledRecipe.Load(Path.Combine(RecipesDir(), "cifar10-ipc10-dd.json")).ToOptions("out", learnLabels: false);
        Assert.Equal(("AlexCifarNet", 0.001, true), (c.Model, c.DistillLr, c.AugmentReal));
    }

    [Fact]
    public void PublishedDatmRecipes_CarryTheConfigValues()
    {
        var r1 = SoftLabelRecipe.Load(Path.Combine(RecipesDir(), "cifar10-ipc1-datm.json"));
        Assert.Equal((80, 4, 1.1, 5.0, 10), (r1.Matching.SynSteps, r1.Matching.MaxStartEpoch, r1.Matching.Threshold, r1.Matching.LrY, r1.Matching.BatchSyn));
        var s10 = SoftLabelRecipe.Load(Path.Combine(RecipesDir(), "cifar10-ipc10-datm.json")).ToSoftLabelOptions();
        Assert.Equal(10, s10.Range.UpperBound(0));
        Assert.Equal(20, s10.Range.UpperBound(1000));
    }

    [Fact]
    public void BadUnrolledFields_AreAllReportedByTheirJsonPath()
    {
        using var dir = new TempDir();
        var path = dir.WriteText("bad.json", """
            { "name": "bad", "method": "dx", "dataset": "mnist",
              "unrolled": { "model": "NoSuchNet", "distillSteps": 0, "distillLr": -1, "init": "sometimes" } }
            """);
        var e = Assert.Throws<RecipeException>(() => UnrolledRecipe.Load(path));
        Assert.Contains(e.Errors, m => m.Contains("'method'"));
        Assert.Contains(e.Errors, m => m.Contains("'unrolled.model'"));
        Assert.Contains(e.Errors, m => m.Contains("'unrolled.init'"));
        var path2 = dir.WriteText("bad2.json", """{ "name": "bad", "method": "dd", "dataset": "mnist", "unrolled": { "distillSteps": 0, "distillLr": -1 } }""");
        var e2 = Assert.Throws<RecipeException>(() => UnrolledRecipe.Load(path2));
        Assert.Contains(e2.Errors, m => m.Contains("'unrolled.distillSteps'"));
        Assert.Contains(e2.Errors, m => m.Contains("'unrolled.distillLr'"));
        Assert.Contains("bad2.json", e2.Message);
    }

    [Fact]
    public void BadSoftLabelFields_AreReportedByTheirJsonPath_IncludingIpcLargerThanAClass()
    {
        using var dir = new TempDir();
        var text = File.ReadAllText(Path.Combine(RecipesDir(), "fashion-mnist-ipc10-datm-cpu.json"))
            .Replace("\"ipc\": 10", "\"ipc\": 7000").Replace("\"synSteps\": 10", "\"synSteps\": 0")
            .Replace("\"maxStartEpoch\": 4", "\"maxStartEpoch\": 9").Replace("\"lrY\": 2", "\"lrY\": 0").Replace("\"count\": 3", "\"count\": 0");
        var path = dir.WriteText("bad.json", text);
        var e = Assert.Throws<RecipeException>(() => SoftLabelRecipe.Load(path));
        Assert.Contains(e.Errors, m => m.Contains("'ipc'") && m.Contains("6000"));
        Assert.Contains(e.Errors, m => m.Contains("'matching.synSteps'"));
        Assert.Contains(e.Errors, m => m.Contains("'matching.maxStartEpoch'"));
        Assert.Contains(e.Errors, m => m.Contains("'matching.lrY'"));
        Assert.Contains(e.Errors, m => m.Contains("'experts.count'") && m.Contains("need expert trajectories"));
    }

    [Fact]
    public void TheBestIterationFieldsOfASoftLabelRecipe_AreCheckedAndReachTheRun()
    {
        using var dir = new TempDir();
        var text = File.ReadAllText(Path.Combine(RecipesDir(), "fashion-mnist-ipc10-datm-cpu.json"));
        var bad = dir.WriteText("bad.json", text.Replace("\"evalIterations\": [0, 60, 120, 180, 240]", "\"evalIterations\": [0, 241]")
            .Replace("\"selectOn\": \"validation\"", "\"selectOn\": \"train\"").Replace("\"validationPerClass\": 100", "\"validationPerClass\": 0"));
        var e = Assert.Throws<RecipeException>(() => SoftLabelRecipe.Load(bad));
        Assert.Contains(e.Errors, m => m.Contains("'matching.evalIterations'") && m.Contains("[0, 240]"));
        Assert.Contains(e.Errors, m => m.Contains("'matching.selectOn' is 'train', expected 'validation' or 'test'"));
        Assert.Contains(e.Errors, m => m.Contains("'matching.validationPerClass'"));

        var r = SoftLabelRecipe.Load(Path.Combine(RecipesDir(), "fashion-mnist-ipc10-datm-cpu.json"));
        var o = r.ToMatchingOptions(dir.Path);
        Assert.Equal([0, 60, 120, 180, 240], o.EvalIterations);
        Assert.Equal((SelectOn.Validation, new EvalBudget(100, 2)), (o.SelectOn, o.EvalBudget));
        Assert.True(r.CarvesValidation);
        Assert.False((r with { Matching = r.Matching with { SelectOn = "test" } }).CarvesValidation);
        // Without evaluations nothing is carved, and the options (so a checkpoint's fingerprint) are the ones such a recipe always gave.
        var none = r with { Matching = r.Matching with { EvalIterations = [], SelectionEpochs = 7 } };
        Assert.False(none.CarvesValidation);
        Assert.Equal(new TrajectoryMatchingOptions { OutputDir = dir.Path }.EvalBudget, none.ToMatchingOptions(dir.Path).EvalBudget);
    }

    [Fact]
    public void AnUnknownField_IsRejected()
    {
        using var dir = new TempDir();
        var path = dir.WriteText("bad.json", """{ "name": "x", "method": "dd", "dataset": "mnist", "unrolled": { "stepz": 3 } }""");
        var e = Assert.Throws<RecipeException>(() => UnrolledRecipe.Load(path));
        Assert.Contains("stepz", e.Message);
    }
}
