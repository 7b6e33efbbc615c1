using DDist.Distillation.Unrolling;
using DDist.Recipes;
using DDist.Tests.Data;

namespace DDist.Tests.Recipes;

/// <summary>The recipe fields this branch adds: `unrolled.unroll` (DD / SLD) and `matching.unroll` (DATM / TESLA
/// labels) choose full or exact unrolling with trajectory matching's default, and `coreset.nesterov` (off unless stated; the published recipes state
/// it, as DeepCore) reaches the feature network's optimiser; bad values are named by their JSON path.</summary>
public class UnrollAndNesterovRecipeTests
{
    private static string Recipe(string name) =>
        File.ReadAllText(Path.Combine(DDist.Data.DatasetLocator.FindRepoRoot(AppContext.BaseDirectory)!, "recipes", name));

    [Fact]
    public void DdRecipes_DefaultToExactFrom10Steps_AndTakeFullOrExact()
    {
        using var dir = new TempDir();
        var text = Recipe("mnist-ipc10-dd.json");
        Assert.Equal(UnrollMode.Exact, UnrolledRecipe.Load(dir.WriteText("a.json", text)).ToOptions("o", false).UnrollUsed);   // 30 steps
        var full = text.Replace("\"testNets\": 200", "\"testNets\": 200, \"unroll\": \"full\"");
        Assert.Equal(UnrollMode.Full, UnrolledRecipe.Load(dir.WriteText("b.json", full)).ToOptions("o", true).UnrollUsed);
        foreach (var bad in new[] { "tesla", "sometimes" })
        {
            var path = dir.WriteText($"{bad}.json", text.Replace("\"testNets\": 200", $"\"testNets\": 200, \"unroll\": \"{bad}\""));
            var e = Assert.Throws<RecipeException>(() => UnrolledRecipe.Load(path));
            Assert.Contains(e.Errors, m => m.Contains("'unrolled.unroll'") && m.Contains(bad));
        }
    }

    [Fact]
    public void SoftLabelRecipes_DefaultToExactFrom10SynSteps_AndTakeTheMode()
    {
        using var dir = new TempDir();
        var text = Recipe("cifar10-ipc1-datm.json");
        Assert.Equal(UnrollMode.Exact, SoftLabelRecipe.Load(dir.WriteText("a.json", text)).ToMatchingOptions("o").Unroll);      // synSteps 80
        var full = text.Replace("\"synSteps\": 80,", "\"synSteps\": 80, \"unroll\": \"full\",");
        Assert.Equal(UnrollMode.Full, SoftLabelRecipe.Load(dir.WriteText("b.json", full)).ToMatchingOptions("o").Unroll);
        var bad = dir.WriteText("c.json", text.Replace("\"synSteps\": 80,", "\"synSteps\": 80, \"unroll\": \"partly\","));
        var e = Assert.Throws<RecipeException>(() => SoftLabelRecipe.Load(bad));
        Assert.Contains(e.Errors, m => m.Contains("'matching.unroll'"));
        // Cross-architecture evaluation is built for SelMatch/MTT runs only: a DATM recipe listing architectures is refused, not ignored.
        var cross = dir.WriteText("d.json", text.Replace("\"protocol\": \"mtt\"", "\"protocol\": \"mtt\", \"crossArchitectures\": [\"ResNet18\"]"));
        var crossError = Assert.Throws<RecipeException>(() => SoftLabelRecipe.Load(cross));
        Assert.Contains(crossError.Errors, m => m.Contains("'evaluation.crossArchitectures'") && m.Contains("not DATM/TESLA"));
    }

    [Fact]
    public void CoresetFeatureNetwork_TakesNesterovWhenStated_AndNeedsMomentumForIt()
    {
        using var dir = new TempDir();
        var text = Recipe("mnist-family-cpu.json");                   // names no nesterov: plain momentum, as before it existed
        var cpu = ComparisonRecipe.Load(dir.WriteText("a.json", text));
        Assert.False(cpu.ToEmbeddingOptions().Nesterov);
        Assert.False(cpu.ToForgettingOptions().Nesterov);
        Assert.DoesNotContain("nesterov", System.Text.Json.JsonSerializer.Serialize(cpu, DDist.Recipes.Recipe.Json), StringComparison.OrdinalIgnoreCase);
        const string coresetEnd = "\"batchSize\": 256 }";                // the coreset section's last field (forgetting's batch is 128)
        Assert.Equal(1, text.Split(coresetEnd).Length - 1);
        var on = ComparisonRecipe.Load(dir.WriteText("b.json", text.Replace(coresetEnd, "\"batchSize\": 256, \"nesterov\": true }")));
        Assert.True(on.ToEmbeddingOptions().Nesterov);
        Assert.Contains("(Nesterov)", on.ToEmbeddingOptions().ToString());
        var noMomentum = text.Replace("\"momentum\": 0.9, \"weightDecay\": 0.0005, \"batchSize\": 256 }", "\"momentum\": 0, \"weightDecay\": 0.0005, \"batchSize\": 256, \"nesterov\": true }");
        Assert.NotEqual(text, noMomentum);
        var e = Assert.Throws<RecipeException>(() => ComparisonRecipe.Load(dir.WriteText("c.json", noMomentum)));
        Assert.Contains(e.Errors, m => m.Contains("'coreset.nesterov'"));

        // The published recipes follow DeepCore: Nesterov for the feature network and for the forgetting run.
        var published = ComparisonRecipe.Load(dir.WriteText("d.json", Recipe("mnist-family-published.json")));
        Assert.True(published.ToEmbeddingOptions().Nesterov && published.ToForgettingOptions().Nesterov);
    }
}
