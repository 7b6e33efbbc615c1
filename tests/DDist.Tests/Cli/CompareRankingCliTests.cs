using System.Text.Json.Nodes;
using DDist.Artifacts;
using DDist.Evaluation;
using DDist.Tests.Data;
using static DDist.Tests.Cli.CliRun;

namespace DDist.Tests.Cli;

/// <summary>A comparison's "ranking" section: DD-Ranking's scores of every cell (`ddist rank` of each set), the set's
/// own accuracies taken from its evaluation, the random sets shared by every cell of an IPC, tabled beside the rest.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class CompareRankingCliTests : IDisposable
{
    private readonly TempDir _temp = new();
    private string F(string name) => Path.Combine(_temp.Path, name);

    public void Dispose() => _temp.Dispose();

    private const string Tiny = "ConvNet(width=8,depth=2)";

    private string Recipe(JsonObject? ranking, Action<JsonObject>? edit = null)
    {
        var j = new JsonObject
        {
            ["kind"] = "comparison", ["name"] = "tiny-ranked", ["dataset"] = "mnist", ["ipcs"] = new JsonArray(1),
            ["methods"] = new JsonArray("random", "dm"), ["seed"] = 3, ["trainPerClass"] = 12, ["testPerClass"] = 5,
            ["dm"] = new JsonObject { ["model"] = Tiny, ["iterations"] = 2, ["batchReal"] = 8 },
            ["coverage"] = new JsonObject { ["referencePerClass"] = 0 },
            ["evaluation"] = new JsonObject { ["model"] = Tiny, ["epochs"] = 2, ["nets"] = 2 },
        };
        if (ranking is not null) j["ranking"] = ranking;
        edit?.Invoke(j);
        var path = F($"recipe-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, j.ToJsonString());
        return path;
    }

    private static double[] Values(JsonNode? array) => array!.AsArray().Select(v => v!.GetValue<double>()).ToArray();

    /// <summary>A finished comparison takes a ranking section: nothing made is redone, every cell's set accuracies are
    /// its evaluation's networks, both rows are ranked against the same random sets, and each round's scores are
    /// DD-Ranking's arithmetic of the accuracies reported. Once ranked, its settings are the folder's.</summary>
    [RealDataFact("mnist")]
    public void AFinishedComparisonIsRankedCellByCellAgainstSharedRandomSets()
    {
        var outDir = F("cmp");
        Assert.Equal(0, Run("compare", Recipe(null), "--out", outDir).Code);
        var eval = File.ReadAllBytes(Path.Combine(outDir, "ipc1", "dm", "eval.json"));
        var r = Run("compare", Recipe(new JsonObject { ["fullAccuracy"] = 90 }), "--out", outDir);
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(eval, File.ReadAllBytes(Path.Combine(outDir, "ipc1", "dm", "eval.json")));

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "comparison.json")))!;
        double[]? random = null;
        foreach (var row in json["rows"]!.AsArray())
        {
            var ranking = row!["ranking"]!;
            var rounds = ranking["rounds"]!;
            // The set's own accuracies are its evaluation's, not trained again (no networks of its own 'set' part).
            Assert.Equal(Values(row["accuracies"]), Values(rounds["Set"]));
            Assert.False(Directory.Exists(Path.Combine(outDir, "ranking", "ipc1", "cells", (string)row["method"]!, "set")));
            Assert.True(File.Exists(Path.Combine(outDir, "ranking", "ipc1", "cells", (string)row["method"]!, "set-no-augmentation", "net-1.json")));
            var rowRandom = Values(rounds["Random"]);
            if (random is null) random = rowRandom;
            else Assert.Equal(random, rowRandom);   // one set of random networks for every row of the IPC
            var (set, plain, randomPlain) = (Values(rounds["Set"]), Values(rounds["SetNoAugmentation"]), Values(rounds["RandomNoAugmentation"]));
            for (int k = 0; k < 2; k++)
            {
                double ior = set[k] - rowRandom[k], hlr = 0.9 - set[k];
                Assert.Equal(RobustScore.Normalise(0.5 * ior - 0.5 * hlr), Values(rounds["LabelRobust"])[k], 12);
                Assert.Equal(RobustScore.Normalise(0.5 * ior + 0.5 * (plain[k] - randomPlain[k])), Values(rounds["AugmentationRobust"])[k], 12);
            }
            Assert.Equal(Values(rounds["LabelRobust"]).Average(), ranking["labelRobustScore"]!["mean"]!.GetValue<double>(), 12);
        }
        // The random sets with and without augmentation, once for both rows.
        Assert.Equal(["random-", "random-no-augmentation-"],
                     Directory.GetDirectories(Path.Combine(outDir, "ranking", "shared")).Select(d => Path.GetFileName(d)[..^12]).Order());
        var md = File.ReadAllText(Path.Combine(outDir, "comparison.md"));
        Assert.Contains("DD-Ranking scores (Li et al. 2025)", md);
        Assert.Contains("Full training set: 90.00 % (given in 'ranking.fullAccuracy')", md);
        Assert.Matches(@"\| dm \| \d+\.\d\d ± \d+\.\d\d / \d+\.\d\d ± \d+\.\d\d \([+-]\d+\.\d\d\) \|", md);
        Assert.Contains("LRS", r.Err);

        // Another run reads everything back; other ranking settings are refused now that some are kept.
        var again = Run("compare", Recipe(new JsonObject { ["fullAccuracy"] = 90 }), "--out", outDir);
        Assert.True(again.Code == 0, again.Err);
        Assert.DoesNotContain("LRS", again.Err);
        AssertFails(Run("compare", Recipe(new JsonObject { ["fullAccuracy"] = 91 }), "--out", outDir), "'ranking.fullAccuracy' is 90 there, 91 here");
    }

    /// <summary>With a step-size search the random sets and a set without a learned step size train at the candidate
    /// that scores best on held-out training images (drawn from the seed alone, so rows may join in any order): no random
    /// set draws them, and a set that holds some is searched on the others. The full accuracy comes from one whole-data
    /// network kept for every cell.</summary>
    [RealDataFact("mnist")]
    public void AStepSizeSearchAndATrainedFullAccuracy()
    {
        var outDir = F("searched");
        var r = Run("compare", Recipe(new JsonObject { ["lrSearch"] = new JsonArray(1e-7, 0.01), ["validationPerClass"] = 6, ["fullEpochs"] = 0 }), "--out", outDir);
        Assert.True(r.Code == 0, r.Err);
        Assert.True(File.Exists(Path.Combine(outDir, "ranking", "full.json")));
        var held = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "ranking", "validation.json")))!["indices"]!.AsArray().Select(v => (long)v!.GetValue<int>()).ToHashSet();
        Assert.Equal(60, held.Count);
        using (var random = SmallSet.Load(Path.Combine(outDir, "ipc1", "random", "selected.safetensors")))
        {
            // The random row's own search leaves out the held-out images it holds (6 of 12 per class are held out, so it holds some).
            int holds = random.SourceIndex.Count(held.Contains);
            Assert.InRange(holds, 1, 10);
            var kept = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "ranking", "ipc1", "cells", "random", "lr-search", "set", "lr-0.01", "net-0.json")))!;
            Assert.EndsWith($"without the set's {holds} image(s) among them", (string)kept["set"]!);
        }
        var rows = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "comparison.json")))!["rows"]!.AsArray();
        var dm = rows.Single(x => (string)x!["method"]! == "dm")!["ranking"]!["rounds"]!;
        var chosen = dm["StepSizes"]!.AsObject();
        Assert.Equal(["set", "random", "set-no-augmentation", "random-no-augmentation"], chosen.Select(kv => kv.Key));
        Assert.All(chosen, kv => Assert.Equal(0.01, kv.Value!.GetValue<double>()));
        // Searched, the set trains anew at the chosen step size rather than taking its evaluation.
        Assert.True(Directory.Exists(Path.Combine(outDir, "ranking", "ipc1", "cells", "dm", "set")));
        Assert.True(dm["FullTrained"]!.GetValue<bool>());
        var md = File.ReadAllText(Path.Combine(outDir, "comparison.md"));
        Assert.Contains("one whole-data network, 1 epochs", md);
        Assert.Matches(@"Random real images \(hard labels\): IPC 1 \d+\.\d\d ± \d+\.\d\d \(step size 0\.01\)", md);
    }

    /// <summary>A soft-label row needs a teacher for its random sets: refused by the field, with nothing lost, then ranked
    /// against random images the teacher labels; bad ranking settings are refused before any work.</summary>
    [RealDataFact("mnist")]
    public void ASoftLabelRowNeedsATeacher_AndBadSettingsAreRefused()
    {
        Assert.Equal(0, Run("select", "random", "--dataset", "mnist", "--ipc", "1", "--seed", "9", "--out", F("plain.safetensors")).Code);
        using (var plain = SmallSet.Load(F("plain.safetensors")))
        {
            var logits = Enumerable.Repeat(1f, plain.Count * 10).ToArray();
            using var soft = plain.WithSoftLabels(new SoftLabels(DDist.Torch.Tensors.FromArray(logits, plain.Count, 10), SoftLabelKind.Logits, "test"));
            soft.Save(F("soft.safetensors"));
        }
        var outDir = F("soft");
        var r = Run("compare", Recipe(new JsonObject { ["fullAccuracy"] = 90 }, j =>
        {
            j["methods"] = new JsonArray("random", "soft");
            j["sets"] = new JsonObject { ["soft"] = new JsonObject { ["1"] = "soft.safetensors" } };
        }), "--out", outDir);
        AssertFails(r, "soft at IPC 1 has soft labels", "'ranking.teacher'");
        Assert.True(File.Exists(Path.Combine(outDir, "ipc1", "soft", "eval.json")));   // what was made is kept
        Assert.False(Directory.Exists(Path.Combine(outDir, "ranking")), "refused before anything of the ranking is kept, so a teacher may still be given");

        // With a teacher (an experts folder, relative to the recipe's) its random sets take the teacher's labels; the
        // hard-label row keeps its own random sets.
        var experts = Run("experts", "--dataset", "mnist", "--model", "ConvNet(width=8,depth=1)", "--num", "1", "--epochs", "1", "--aug", "none", "--no-test", "--out", F("experts"));
        Assert.True(experts.Code == 0, experts.Err);
        var taught = Run("compare", Recipe(new JsonObject { ["fullAccuracy"] = 90, ["teacher"] = "experts" }, j =>
        {
            j["methods"] = new JsonArray("random", "soft");
            j["sets"] = new JsonObject { ["soft"] = new JsonObject { ["1"] = "soft.safetensors" } };
        }), "--out", outDir);
        Assert.True(taught.Code == 0, taught.Err);
        var rows = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "comparison.json")))!["rows"]!.AsArray();
        Assert.Equal("hard", (string)rows[0]!["ranking"]!["rounds"]!["RandomLabels"]!);
        Assert.StartsWith("mean logits of 1 ConvNet(width=8,depth=1) expert(s)", (string)rows[1]!["ranking"]!["rounds"]!["RandomLabels"]!);
        Assert.NotEqual(Values(rows[0]!["ranking"]!["rounds"]!["Random"]), Values(rows[1]!["ranking"]!["rounds"]!["Random"]));
        // The soft row is also trained with hard labels (its classes), for the hard-label recovery.
        Assert.True(File.Exists(Path.Combine(outDir, "ranking", "ipc1", "cells", "soft", "set-hard-labels", "net-0.json")));
        Assert.Equal(4, Directory.GetDirectories(Path.Combine(outDir, "ranking", "shared")).Length);

        var bad = F("bad");
        AssertFails(Run("compare", Recipe(new JsonObject { ["fullAccuracy"] = 0.9 }), "--out", bad), "field 'ranking.fullAccuracy' is 0.9, expected a percentage");
        AssertFails(Run("compare", Recipe(new JsonObject { ["teacher"] = "mtt" }), "--out", bad), "field 'ranking.teacher' is \"mtt\"", "does not list mtt");
        AssertFails(Run("compare", Recipe(new JsonObject { ["lrSearch"] = new JsonArray(0.01, -1) }), "--out", bad), "ranking.lrSearch", "expected a positive number");
        AssertFails(Run("compare", Recipe(new JsonObject { ["lrSearch"] = new JsonArray(0.01), ["validationPerClass"] = 12 }), "--out", bad),
                    "field 'ranking.validationPerClass' is 12");
        AssertFails(Run("compare", Recipe(new JsonObject { ["labelWeight"] = 2 }), "--out", bad), "ranking.labelWeight");
        AssertFails(Run("compare", Recipe(new JsonObject { ["searchNets"] = 3 }), "--out", bad), "field 'ranking.searchNets' applies with 'lrSearch'");
        Assert.False(Directory.Exists(bad), "no stage may start on bad input");
    }

    /// <summary>A ZCA-whitened row (an MTT or DATM run's set) is ranked against random images whitened by its own
    /// transform, beside the normalised rows' random sets.</summary>
    [RealDataFact("mnist")]
    public void AWhitenedRowIsRankedAgainstRandomImagesInItsSpace()
    {
        Assert.Equal(0, Run("select", "random", "--dataset", "mnist", "--ipc", "1", "--seed", "9", "--out", F("plain.safetensors")).Code);
        using (var plain = SmallSet.Load(F("plain.safetensors")))
        using (var zca = DDist.Data.ZcaTransform.Fit(RealMnist.Mnist.Train))
        using (var whitened = new SmallSet
        {
            Images = plain.Images.Alias(), Labels = plain.Labels.Alias(), IsDistilled = plain.IsDistilled, SourceIndex = plain.SourceIndex,
            Zca = zca.ToTensors(), Info = plain.Info with { Normalization = "zca" },
        }) whitened.Save(F("whitened.safetensors"));
        var outDir = F("zca");
        var r = Run("compare", Recipe(new JsonObject { ["fullAccuracy"] = 90 }, j =>
        {
            j["methods"] = new JsonArray("random", "zca-row");
            j["sets"] = new JsonObject { ["zca-row"] = new JsonObject { ["1"] = "whitened.safetensors" } };
        }), "--out", outDir);
        Assert.True(r.Code == 0, r.Err);
        var kinds = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "ranking", "ipc1", "baselines.json")))!["kinds"]!.AsArray();
        Assert.Equal(["mnist-dc", "zca"], kinds.Select(k => (string)k!["space"]!).Order(StringComparer.Ordinal));
        var shared = Directory.GetDirectories(Path.Combine(outDir, "ranking", "shared")).Select(d => File.ReadAllText(Path.Combine(d, "net-0.json"))).ToList();
        Assert.Equal(4, shared.Count);
        Assert.Equal(2, shared.Count(json => json.Contains(", zca ")));   // whitened random sets name the transform's digest
    }
}
