using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DDist.Recipes;

namespace DDist.Tests.Recipes;

/// <summary>What a run folder compares to decide whether it belongs to a recipe must never change for a shipped
/// recipe, however the recipe types are arranged in code: the recipe spelled out as JSON (pipeline.json and
/// recipe.json of `ddist run`; recipe.json of `ddist compare`, compared as text) and the checkpoint fingerprints of
/// trajectory matching, DATM and DD (a checkpoint is resumed only by the same fingerprint). The values were taken
/// from the code before the recipe sections became the stage options; a change here orphans every existing run
/// folder and checkpoint of that recipe.</summary>
public class RecipeFingerprintTests
{
    private static string RecipesDir() => Path.Combine(DDist.Data.DatasetLocator.FindRepoRoot(AppContext.BaseDirectory)!, "recipes");

    // Read without Recipe.Load: the published recipes name score files that need not be present where tests run.
    private static T Read<T>(string name) =>
        JsonSerializer.Deserialize<T>(File.ReadAllText(Path.Combine(RecipesDir(), name + ".json")), Recipe.Json)!;

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [Theory]
    // Since the demo also trains its sets with an MLP (2026-12-02): the list and the description are free fields, so
    // the folders of the version before (2ae26aeb…, score kind chosen with β) continue under this one.
    [InlineData("fashion-mnist-ipc10-demo", "89f567cbf1b6992c58b8cdb64fa83dde12268dddccc05345826af0e9012e6c8a")]
    [InlineData("cifar10-ipc250-selmatch", "3d3cdf1cd72af0a8e4fdd603fb97d6c938664a02f4ff6aa5fae86e3b3440bd89")]
    public void SpelledOutRecipeIsUnchanged(string name, string sha256)
    {
        var recipe = Read<Recipe>(name);
        Assert.Equal(sha256, Sha256(recipe.ToJsonNode().ToJsonString()));
        Assert.Equal(sha256, Sha256(recipe.ToJsonNode().ToJsonString()));   // stable across calls
        Assert.Equal(sha256, Sha256(JsonSerializer.Deserialize<System.Text.Json.Nodes.JsonObject>(recipe.ToJson())!.ToJsonString()));
    }

    [Theory]
    [InlineData("fashion-mnist-ipc10-demo", "N=12|M=2|T=4|b=100|lrimg=1000|lrlr=1E-05|lr0=0.01|Raw|mom=0.5|seed=0|eval=[100,200]|Validation|300x1|selmatch")]
    [InlineData("cifar10-ipc250-selmatch", "N=55|M=2|T=80|b=125|lrimg=1000|lrlr=1E-05|lr0=0.001|Raw|mom=0.5|seed=0|eval=[0,500,1000,2500,5000,7500,10000]|Test|1000x5|selmatch")]
    public void TrajectoryMatchingCheckpointFingerprintIsUnchanged(string name, string fingerprint) =>
        Assert.Equal(fingerprint, Read<Recipe>(name).ToTrajectoryMatchingOptions("out", "selmatch").Fingerprint());

    [Fact]
    public void WindowSearchFingerprintIsUnchanged() =>
        Assert.Equal("fashion-mnist|ipc=10|fraction-of-class|Reject|epochs=300|nets=2|seed=0|on=validation split|with=mtt/ConvNetW32/lr=0.01/Step/batch=256/aug=dsa:color_crop_cutout_flip_scale_rotate:flip=True|scores=scores", Read<Recipe>("fashion-mnist-ipc10-demo").ToWindowSearchOptions("out", "fashion-mnist-dc").Fingerprint("scores", "fashion-mnist"));

    [Fact]
    public void ComparisonRecipeTextIsUnchanged() =>
        Assert.Equal("8bec2fc2288e7a39a4aa8c191352c53585503092ad3e75b20022b6c63324fbdc", Sha256(Read<ComparisonRecipe>("mnist-family-cpu").ToJson()));

    [Fact]
    public void SoftLabelCheckpointFingerprintIsUnchanged()
    {
        var r = Read<SoftLabelRecipe>("cifar10-ipc10-datm");
        Assert.Equal("N=80|M=2|T=20|b=100|lrimg=100|lrlr=1E-05|lr0=0.01|Raw|mom=0.5|seed=0|eval=[]|Validation|300x3|datm||Learned|lry=2|my=0.9|thr=1|range=0-20:True:10:1000|le=-1|first=False", r.ToMatchingOptions("out").Fingerprint() + "||" + r.ToSoftLabelOptions().Fingerprint());
    }

    [Fact]
    public void UnrolledCheckpointFingerprintIsUnchanged()
    {
        var r = Read<UnrolledRecipe>("mnist-ipc10-dd");
        const string settings = "model=LeNet|distill_steps=10|distill_epochs=3|images_per_class_per_step=1|distill_lr=0.02|lr=0.01|decay_epochs=40|decay_factor=0.5|batch_size=1024|init=unknown_init (xavier, re-drawn)|nets=1|init_gain=1|learn_labels=";
        Assert.Equal(settings + "false|augment_real=none|seed=1|method=dd", r.ToOptions("out", learnLabels: false).Fingerprint());
        Assert.Equal(settings + "true|augment_real=none|seed=1|method=sld", r.ToOptions("out", learnLabels: true).Fingerprint());
    }
}
