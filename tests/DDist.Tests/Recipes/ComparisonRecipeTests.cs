using System.Text.Json.Nodes;
using DDist.Distillation;
using DDist.Recipes;

namespace DDist.Tests.Recipes;

/// <summary>Comparison recipes: the shipped ones map to the reference's settings, and bad fields are named.</summary>
public sealed class ComparisonRecipeTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ddist-cmp-recipe-" + Guid.NewGuid().ToString("N"));

    public ComparisonRecipeTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static string RecipesDir()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "DDist.slnx"))) d = d.Parent;
        return Path.Combine(d?.FullName ?? throw new InvalidOperationException("repo root not found"), "recipes");
    }

    [Fact]
    public void PublishedRecipeMapsToTheReferencesSettings()
    {
        var r = ComparisonRecipe.Load(Path.Combine(RecipesDir(), "mnist-family-published.json"));
        Assert.Equal([1, 10, 50], r.Ipcs);
        var dc = r.ToGradientMatchingOptions("dc", 10);
        Assert.Equal((1000, 0.1, 0.01, 256, 256, SyntheticStart.Noise, GradientDistance.LayerWise, false),
                     (dc.Iterations, dc.LrImg, dc.LrNet, dc.BatchReal, dc.BatchTrain, dc.Start, dc.Distance, dc.Dsa));
        Assert.Equal((10, 50), dc.ResolveLoops());
        var dsa = r.ToGradientMatchingOptions("dsa", 50);
        Assert.True(dsa.Dsa);
        Assert.Equal(SyntheticStart.Real, dsa.Start);
        Assert.Equal("color_crop_cutout_scale_rotate", dsa.DsaStrategy);   // no flip for digits
        Assert.False(dsa.DsaParams.AlignCorners);
        var dm = r.ToDistributionMatchingOptions(1);
        Assert.Equal((20000, 1.0, 256, SyntheticStart.Real, true), (dm.Iterations, dm.LrImg, dm.BatchReal, dm.Start, dm.Dsa));
        var eval = r.ToEvalProtocol(10);
        Assert.Equal(("dc", "ConvNet", 1000, 20), (eval.Name, eval.Model, eval.Epochs, eval.Networks));
    }

    [Theory]
    [InlineData("ipcs", "[7000]", "ipcs")]
    [InlineData("ipcs", "[7]", "dc.outerLoop")]
    [InlineData("methods", "[\"random\", \"mtt\"]", "field 'mtt' is missing: methods holds 'mtt'")]
    [InlineData("methods", "[\"random\", \"selmatch\"]", "which a comparison does not run; run it with its own recipe: a SelMatch recipe")]
    [InlineData("methods", "[\"random\", \"nope\"]", "methods")]
    [InlineData("trainPerClass", "5", "ipcs")]
    [InlineData("evaluation.model", "\"NoSuchNet\"", "evaluation.model")]
    [InlineData("evaluation.epochsByIpc", "{\"3\": 10}", "evaluation.epochsByIpc")]
    [InlineData("dm.init", "\"zeros\"", "dm.init")]
    [InlineData("dsa.metric", "\"l2\"", "dsa.metric")]
    [InlineData("coreset.epochs", "0", "coreset.epochs")]
    [InlineData("kind", "\"selmatch\"", "kind")]
    public void BadFieldIsNamed(string field, string json, string expected)
    {
        var path = Write(field, json);
        var e = Assert.Throws<RecipeException>(() => ComparisonRecipe.Load(path));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void UnknownFieldIsNamed()
    {
        var path = Write("dm.lr_img", "1");
        var e = Assert.Throws<RecipeException>(() => ComparisonRecipe.Load(path));
        Assert.Contains("lr_img", e.Message);
    }

    [Fact]
    public void OnlyComparisonRecipesAreRecognised()
    {
        Assert.True(ComparisonRecipe.IsComparison(Path.Combine(RecipesDir(), "mnist-family-published.json")));
        Assert.False(ComparisonRecipe.IsComparison(Path.Combine(RecipesDir(), "fashion-mnist-ipc300-demo.json")));
    }

    private string Write(string field, string json)
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(RecipesDir(), "mnist-family-published.json")))!.AsObject();
        var parts = field.Split('.');
        var target = parts.Length == 1 ? node : node[parts[0]]!.AsObject();
        target[parts[^1]] = JsonNode.Parse(json);
        var path = Path.Combine(_dir, "recipe.json");
        File.WriteAllText(path, node.ToJsonString());
        return path;
    }
}
