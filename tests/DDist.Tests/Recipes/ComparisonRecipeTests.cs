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

    /// <summary>MTT's settings may differ by IPC (its README gives each its own N, T⁺ and learning rates): 'mtt.byIpc'
    /// changes fields of the section at one IPC; the experts stay shared, and every bad change is named by its path.</summary>
    [Fact]
    public void MttSettingsChangeByIpc()
    {
        var r = ComparisonRecipe.Load(WriteMtt("""{"1": {"synSteps": 20, "maxStartEpoch": 2, "lrImg": 100, "emaDecay": 0.99}}"""));
        var (one, ten) = (r.MttSettings.For(1), r.MttSettings.For(10));
        Assert.Equal((20, 2, 100.0, 0.99), (one.SynSteps, one.MaxStartEpoch, one.LrImg, one.EmaDecay));
        Assert.Equal((12, 4, 1000.0, (double?)null), (ten.SynSteps, ten.MaxStartEpoch, ten.LrImg, ten.EmaDecay));
        Assert.Equal((ten.Iterations, ten.Experts), (one.Iterations, one.Experts));
        Assert.Null(one.ByIpc);
        var options = one.ToOptions(0, _dir);
        Assert.Equal((20, 100.0), (options.SynSteps, options.LrImg));
        Assert.Contains("\"byIpc\"", r.ToJson());   // the folder keeps it with the recipe

        foreach (var (byIpc, expected) in new[]
        {
            ("""{"5": {"synSteps": 3}}""", "field 'mtt.byIpc' has the key '5', expected one of the comparison's IPCs (1, 10)"),
            ("""{"1": {"experts": {"count": 2}}}""", "field 'mtt.byIpc.1.experts' cannot change by IPC: the experts are trained once and shared by every IPC"),
            ("""{"1": {"synStep": 3}}""", "field 'mtt.byIpc.1.synStep' is not a field"),
            ("""{"1": {"synSteps": "many"}}""", "field 'mtt.byIpc.1.synSteps' is not"),
            ("""{"10": {"synSteps": 0}}""", "field 'mtt.byIpc.10.synSteps' is 0"),
            ("""{"1": {"maxStartEpoch": 6}}""", "field 'mtt.byIpc.1.maxStartEpoch' is 6 with expertEpochs 2: needs expert snapshot 7, mtt.experts.epochs is 6"),
        })
        {
            var e = Assert.Throws<RecipeException>(() => ComparisonRecipe.Load(WriteMtt(byIpc)));
            Assert.Contains(expected, e.Message);
        }
        // Another section's error does not hide a bad change (every bad field is named at once).
        var both = Assert.Throws<RecipeException>(() => ComparisonRecipe.Load(WriteMtt("""{"10": {"synSteps": 0}}""", dmInit: "zeros")));
        Assert.Contains("dm.init", both.Message);
        Assert.Contains("field 'mtt.byIpc.10.synSteps' is 0", both.Message);
    }

    private string WriteMtt(string byIpc, string? dmInit = null)
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(RecipesDir(), "fashion-mnist-mtt-dm-cpu.json")))!.AsObject();
        node["mtt"]!["byIpc"] = JsonNode.Parse(byIpc);
        if (dmInit is not null) node["dm"]!["init"] = dmInit;
        var path = Path.Combine(_dir, "mtt-recipe.json");
        File.WriteAllText(path, node.ToJsonString());
        return path;
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
