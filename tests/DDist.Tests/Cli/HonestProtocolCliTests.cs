using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DDist.Artifacts;
using DDist.Cli;
using DDist.Tests.Data;
using static DDist.Tests.Cli.CliRun;

namespace DDist.Tests.Cli;

/// <summary>The pipeline makes its choices on a validation split that no scored set trains on, and the stage
/// commands share one folder per recipe; a tiny recipe on real Fashion-MNIST (20 images per set, 1-epoch networks,
/// imported scores) runs `window` then `distill` in a few seconds.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class HonestProtocolCliTests : IDisposable
{
    private readonly TempDir _temp = new();
    private string _dir => _temp.Path;

    public void Dispose() => _temp.Dispose();

    /// <summary>IPC 2, β searched over {0, 0.5} on validation (10 per class, seed 3 + 1), 2 distillation iterations.
    /// The scores make the validation images the hardest of their class, so a window cut without holding them out
    /// at β = 0 would be made of validation images only.</summary>
    private JsonObject TinyRecipe()
    {
        var raw = RealMnist.Fashion;
        using var train = DDist.Data.ImageDataset.FromRaw(raw.Train, DDist.Data.DatasetRegistry.GetSpec("fashion-mnist").DefaultNormalization,
                                                          DDist.Torch.Device.Cpu, raw.Name);
        var (validation, held) = DDist.Distillation.ValidationSplit.Carve(train, 10, new HashSet<long>(), seed: 4);
        validation.Dispose();
        var hardest = held.ToHashSet();
        var scores = Path.Combine(_dir, "scores.csv");
        File.WriteAllLines(scores, new[] { "score" }.Concat(Enumerable.Range(0, train.Count).Select(i =>
            hardest.Contains(i) ? "0" : (0.001 + (i * 7919L) % 60000 / 60000.0).ToString("R", CultureInfo.InvariantCulture))));
        return JsonNode.Parse($$"""
        {
          "name": "honest-tiny", "dataset": "fashion-mnist", "ipc": 2, "seed": 3,
          "experts": { "model": "ConvNet(width=4,depth=1)", "count": 1, "epochs": 2, "lr": 0.01, "batchSize": 16, "trainPerClass": 3 },
          "scores": { "kind": "cscore", "file": "{{scores}}" },
          "window": { "betas": [0, 0.5], "epochs": 1, "nets": 1 },
          "distill": { "alpha": 0.5, "iterations": 2, "synSteps": 1, "expertEpochs": 1, "maxStartEpoch": 1, "lrInit": 0.01,
                       "checkpointEvery": 0, "evalIterations": [1, 2], "selectOn": "validation", "validationPerClass": 10,
                       "selectionEpochs": 1, "selectionNets": 1 },
          "evaluation": { "model": "ConvNet(width=4,depth=1)", "epochs": 1, "nets": 1 }
        }
        """)!.AsObject();
    }

    private string Write(JsonObject recipe, string name, bool indented = false)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, recipe.ToJsonString(new JsonSerializerOptions { WriteIndented = indented }));
        return path;
    }

    private static long[] SourceIndex(string path)
    {
        using var set = SmallSet.Load(path);
        return set.SourceIndex;
    }

    [RealDataFact("fashion-mnist")]
    public void ChoicesAreMadeOnHeldOutValidationAndStageCommandsShareTheFolder()
    {
        var outDir = Path.Combine(_dir, "run");
        var window = Run("window", Write(TinyRecipe(), "a.json"), "--out", outDir);
        Assert.True(window.Code == 0, window.Err);
        Assert.Contains("chosen on the validation split", window.Out);

        // pipeline.json holds the recipe as an object and what the choices were made on.
        var state = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "pipeline.json")))!.AsObject();
        Assert.Equal("honest-tiny", state["Recipe"]!["name"]!.GetValue<string>());
        Assert.StartsWith("validation split", state["ChosenOn"]!.GetValue<string>());
        // Every β was scored on validation, by networks trained with DSA (the sliding-window scripts' --aug dsa).
        foreach (var point in Directory.GetFiles(Path.Combine(outDir, "window"), "beta-*.json"))
        {
            var fingerprint = JsonNode.Parse(File.ReadAllText(point))!["Fingerprint"]!.GetValue<string>();
            Assert.Contains("on=validation split", fingerprint);
            Assert.Contains("aug=dsa", fingerprint);
        }
        Assert.Equal("validation split", JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "window", "window.json")))!["EvaluatedOn"]!.GetValue<string>());

        // The same recipe written differently (indented, the defaults spelled out) is the same experiment for `distill`.
        var spelledOut = DDist.Recipes.Recipe.Load(Path.Combine(_dir, "a.json")).ToJsonNode();
        var distill = Run("distill", Write(spelledOut, "b.json", indented: true), "--method", "selmatch", "--out", outDir);
        Assert.True(distill.Code == 0, distill.Err);
        // The best-iteration choice's evaluations, in one line, the kept one marked.
        Assert.Matches(@"selmatch on the validation split: \d+\.\d\d % at 1(?: \(kept\))?, \d+\.\d\d % at 2", distill.Out + distill.Err);
        Assert.Contains("(kept)", distill.Out + distill.Err);

        // No set that is scored or reported ever holds a validation image.
        var validation = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "validation.json")))!["indices"]!.AsArray()
                                 .Select(n => (long)n!.GetValue<int>()).ToHashSet();
        Assert.Equal(100, validation.Count);
        foreach (var file in new[] { "random.safetensors", "window.safetensors", Path.Combine("selmatch", "synthetic.safetensors") })
        {
            var used = SourceIndex(Path.Combine(outDir, file)).Where(i => i >= 0).ToArray();
            Assert.Equal(20, used.Length);
            Assert.DoesNotContain(used, validation.Contains);
        }
        var distillJson = File.ReadAllText(Path.Combine(outDir, "selmatch", "distill.json"));
        Assert.Contains("validation", distillJson);
        Assert.DoesNotContain("test (reference protocol", distillJson);

        // Another recipe in the same folder is refused as bad data (65), naming the differing field, not as internal.
        var other = TinyRecipe();
        other["distill"]!["alpha"] = 0.25;
        var refused = Run("distill", Write(other, "c.json"), "--out", outDir);
        Assert.Equal(ExitCodes.DataError, refused.Code);
        Assert.Contains("distill.alpha", refused.Err);
        Assert.DoesNotContain("internal", refused.Err);
    }
}
