using System.Text.Json;
using DDist.Artifacts;
using DDist.Evaluation;
using DDist.Tests.Data;
using DDist.Tests.Distillation;
using static DDist.Tests.Cli.CliRun;

namespace DDist.Tests.Cli;

/// <summary>`ddist rank`: DD-Ranking's scores of a set, from evaluations of the set, random real images of its size,
/// the set with hard labels and both without augmentation; each score checked against its arithmetic from the
/// accuracies the result reports, and against sets whose labels are known to be wrong.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class RankCliTests : IDisposable
{
    private readonly TempDir _temp = new();
    private string F(string name) => _temp.Combine(name);

    public void Dispose() => _temp.Dispose();

    private static readonly string[] Tiny = ["--protocol", "dc", "--model", "ConvNet(width=8,depth=1)", "--epochs", "20"];

    /// <summary>Real images with their classes against the same images labelled one class on, ranked in one command:
    /// the second is far below random images (improvement over random strongly negative), scores lower and stands
    /// second in the table of both; both are ranked against the same random sets.</summary>
    [Fact]
    public void ASetIsScoredByItsLeadOverRandomImagesOfItsSize()
    {
        Assert.Equal(0, Run("select", "random", "--dataset", "fashion-mnist", "--ipc", "5", "--out", F("honest.safetensors")).Code);
        using (var honest = SmallSet.Load(F("honest.safetensors")))
        {
            var shifted = honest.Labels.ToArray<long>().Select(c => (c + 1) % 10).ToArray();
            using var wrong = new SmallSet
            {
                Images = honest.Images.Alias(), Labels = DDist.Torch.Tensors.FromArray(shifted), IsDistilled = honest.IsDistilled,
                SourceIndex = honest.SourceIndex, Info = honest.Info with { Method = "wrong labels" },
            };
            wrong.Save(F("wrong.safetensors"));
        }
        var r = Run(["rank", F("wrong.safetensors"), F("honest.safetensors"), .. Tiny, "--nets", "2", "--full-accuracy", "85", "--json"]);
        Assert.True(r.Code == 0, r.Err);
        var both = JsonDocument.Parse(r.Out).RootElement;
        var (bad, good) = (both.GetProperty("rankings")[0], both.GetProperty("rankings")[1]);
        foreach (var json in new[] { good, bad }) CheckArithmetic(json, 0.85);
        var board = both.GetProperty("leaderboard").EnumerateArray().ToList();
        Assert.Equal([F("honest.safetensors"), F("wrong.safetensors")], board.Select(b => b.GetProperty("set").GetString()));
        Assert.Equal([1, 2], board.Select(b => b.GetProperty("rank").GetInt32()));
        Assert.Equal(good.GetProperty("labelRobustScore").GetProperty("mean").GetDouble(), board[0].GetProperty("labelRobustScore").GetProperty("mean").GetDouble());

        double[] Acc(JsonElement j, string row) => j.GetProperty("accuracy").GetProperty(row).GetProperty("accuracies").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(Acc(good, "random"), Acc(bad, "random"));                 // the same random sets, the same networks
        Assert.Equal(Acc(good, "randomNoAugmentation"), Acc(bad, "randomNoAugmentation"));
        Assert.Equal(Acc(good, "set"), Acc(good, "setHardLabels"));            // hard labels already: the same networks
        double Mean(JsonElement j, string field) => j.GetProperty(field).GetProperty("mean").GetDouble();
        Assert.True(Mean(bad, "improvementOverRandom") < -0.3, $"wrong labels: improvement over random {Mean(bad, "improvementOverRandom"):P1}");
        Assert.True(Mean(bad, "labelRobustScore") < Mean(good, "labelRobustScore") - 10,
                    $"label-robust {Mean(bad, "labelRobustScore"):F2} (wrong labels) against {Mean(good, "labelRobustScore"):F2}");
        Assert.True(Mean(bad, "augmentationRobustScore") < Mean(good, "augmentationRobustScore") - 10);
        Assert.Equal("hard", good.GetProperty("randomLabels").GetString());
        Assert.Equal(Enumerable.Repeat(5, 10), good.GetProperty("perClass").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(0.01, good.GetProperty("setLr").GetDouble());                // no learned step size: the protocol's
        Assert.Equal("given (--full-accuracy)", good.GetProperty("fullAccuracyFrom").GetString());

        AssertFails(Run(["rank", F("honest.safetensors"), .. Tiny, "--full-accuracy", "0.85"]), "--full-accuracy 0.85", "percentage");
        AssertFails(Run(["rank", F("honest.safetensors"), .. Tiny, "--full-accuracy", "85", "--lrs-weight", "2"]), "--lrs-weight 2", "[0, 1]");
        AssertFails(Run(["rank", F("honest.safetensors"), .. Tiny, "--full-accuracy", "85", "--teacher", F("experts")]), "--teacher", "has no soft labels");
        AssertFails(Run(["rank", F("honest.safetensors"), "--protocol", "steps", "--full-accuracy", "85"]), "--protocol steps");
        AssertFails(Run(["rank", F("honest.safetensors"), F("honest.safetensors"), "--full-accuracy", "85"]), "SET", "given twice");
        Assert.Equal(0, Run("select", "random", "--dataset", "mnist", "--ipc", "1", "--out", F("mnist.safetensors")).Code);
        AssertFails(Run(["rank", F("honest.safetensors"), F("mnist.safetensors"), "--full-accuracy", "85"]), "SET", "'mnist'", "one dataset");
        AssertFails(Run(["rank", F("honest.safetensors"), "--full-accuracy", "85", "--full-epochs", "3"]), "--full-epochs", "not given with --full-accuracy");
    }

    /// <summary>A soft-label set whose labels name every image's next class: with its labels it trains networks that
    /// miss the test set, with hard labels ones that do not; its random sets take the labels of a teacher (an expert
    /// trained here), and the full training set's accuracy comes from a whole-data network trained here. With --out,
    /// the result is kept and the per-network files are cleared.</summary>
    [Fact]
    public void ASoftLabelSetIsRankedAgainstTeacherLabelledRandomImages()
    {
        var experts = Run("experts", "--dataset", "fashion-mnist", "--model", "ConvNet(width=8,depth=1)", "--num", "1", "--epochs", "1", "--aug", "none",
                          "--no-test", "--out", F("experts"));
        Assert.True(experts.Code == 0, experts.Err);
        Assert.Equal(0, Run("select", "random", "--dataset", "fashion-mnist", "--ipc", "3", "--out", F("plain.safetensors")).Code);
        using (var plain = SmallSet.Load(F("plain.safetensors")))
        {
            var classes = plain.Labels.ToArray<long>();
            var logits = classes.SelectMany(c => Enumerable.Range(0, 10).Select(k => k == (c + 1) % 10 ? 8f : 0f)).ToArray();
            using var soft = plain.WithSoftLabels(new SoftLabels(DDist.Torch.Tensors.FromArray(logits, classes.Length, 10), SoftLabelKind.Logits, "test: the next class"));
            soft.Save(F("soft.safetensors"));
        }
        AssertFails(Run(["rank", F("soft.safetensors"), .. Tiny, "--full-accuracy", "85"]), "--teacher", "has soft labels");

        var r = Run(["rank", F("soft.safetensors"), .. Tiny, "--nets", "2", "--full-epochs", "0", "--teacher", F("experts"), "--out", F("rank.json"), "--json"]);
        Assert.True(r.Code == 0, r.Err);
        var json = JsonDocument.Parse(r.Out).RootElement;
        double full = json.GetProperty("accuracy").GetProperty("full").GetDouble();
        Assert.True(full is > 0.5 and <= 1, $"one whole-data epoch: {full:P1}");
        CheckArithmetic(json, full);
        Assert.StartsWith("trained: one whole-data network, 1 epochs", json.GetProperty("fullAccuracyFrom").GetString());
        Assert.StartsWith("mean logits of 1 ConvNet(width=8,depth=1) expert(s) after 1 epochs", json.GetProperty("randomLabels").GetString());
        Assert.Matches(@", parameters [0-9a-f]{12}\)$", json.GetProperty("randomLabels").GetString());   // other experts in the folder would be another teacher
        double Mean(string row) => json.GetProperty("accuracy").GetProperty(row).GetProperty("mean").GetDouble();
        Assert.True(Mean("set") < 0.2 && Mean("setHardLabels") > Mean("set") + 0.2, $"soft {Mean("set"):P1}, hard {Mean("setHardLabels"):P1}");
        Assert.True(Mean("random") > Mean("set") + 0.2, $"random images with the teacher's labels {Mean("random"):P1}, the set {Mean("set"):P1}");
        Assert.True(File.Exists(F("rank.json")));
        Assert.False(Directory.Exists(F("rank.json.partial")));
        using (var kept = JsonDocument.Parse(File.ReadAllText(F("rank.json"))))
            Assert.Equal(json.GetProperty("labelRobustScore").GetProperty("values").GetRawText(),
                         kept.RootElement.GetProperty("labelRobustScore").GetProperty("values").GetRawText());
    }

    /// <summary>--lr-search: the set (no learned step size) and its random sets each train at the candidate that scores
    /// best on held-out training images, and the result names every candidate's validation accuracy; bad candidates,
    /// the search's options without it and --lr beside it are refused by name.</summary>
    [Fact]
    public void StepSizesAreSearchedOnHeldOutImagesWhenAsked()
    {
        Assert.Equal(0, Run("select", "random", "--dataset", "fashion-mnist", "--ipc", "5", "--out", F("set.safetensors")).Code);
        string[] rank = ["rank", F("set.safetensors"), .. Tiny, "--nets", "2", "--full-accuracy", "85", "--aug", "none"];
        var r = Run([.. rank, "--lr-search", "0.000001, 0.01", "--validation-per-class", "20", "--json"]);
        Assert.True(r.Code == 0, r.Err);
        var json = JsonDocument.Parse(r.Out).RootElement;
        var search = json.GetProperty("stepSizeSearch");
        Assert.Equal([1e-6, 0.01], search.GetProperty("candidates").EnumerateArray().Select(e => e.GetDouble()));
        Assert.StartsWith("20 per class (200 images", search.GetProperty("validation").GetString());
        var chosen = search.GetProperty("chosen").EnumerateArray().ToList();
        Assert.Equal(["set", "random"], chosen.Select(c => c.GetProperty("evaluation").GetString()));
        foreach (var c in chosen)
        {
            Assert.Equal(0.01, c.GetProperty("lr").GetDouble());
            var scores = c.GetProperty("validationAccuracy").EnumerateArray().Select(v => v.GetProperty("mean").GetDouble()).ToArray();
            Assert.True(scores[1] > scores[0] + 0.2, $"validation at 1e-6 {scores[0]:P1}, at 0.01 {scores[1]:P1}");
        }
        Assert.Equal(0.01, json.GetProperty("setLr").GetDouble());
        Assert.Contains("held-out training images", json.GetProperty("measured").GetString());
        Assert.Contains("step size of random: lr 0.01 chosen on validation", Run([.. rank, "--lr-search", "0.000001,0.01", "--validation-per-class", "20"]).Out);

        AssertFails(Run([.. rank, "--lr-search", "0.01,fast"]), "--lr-search", "'fast' is not a number");
        AssertFails(Run([.. rank, "--lr-search", "0,0.1"]), "--lr-search", "positive");
        AssertFails(Run([.. rank, "--lr-search", "0.1,0.1"]), "--lr-search", "twice");
        AssertFails(Run([.. rank, "--validation-per-class", "20"]), "--validation-per-class", "applies with --lr-search");
        AssertFails(Run([.. rank, "--search-nets", "2"]), "--search-nets", "applies with --lr-search");
        AssertFails(Run([.. rank, "--lr", "0.1", "--lr-search", "ddranking"]), "--lr", "searched");
        AssertFails(Run([.. rank, "--lr-search", "ddranking", "--validation-per-class", "9000"]), "--validation-per-class 9000", "class 0");
    }

    /// <summary>Every round's differences and scores from the accuracies the result reports (w = γ = 0.5).</summary>
    private static void CheckArithmetic(JsonElement json, double full)
    {
        double[] Values(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var acc = json.GetProperty("accuracy");
        var (set, hard, random) = (Values(acc.GetProperty("set").GetProperty("accuracies")), Values(acc.GetProperty("setHardLabels").GetProperty("accuracies")),
                                   Values(acc.GetProperty("random").GetProperty("accuracies")));
        var (setPlain, randomPlain) = (Values(acc.GetProperty("setNoAugmentation").GetProperty("accuracies")), Values(acc.GetProperty("randomNoAugmentation").GetProperty("accuracies")));
        var (hlr, ior, lrs) = (Values(json.GetProperty("hardLabelRecovery").GetProperty("values")), Values(json.GetProperty("improvementOverRandom").GetProperty("values")),
                               Values(json.GetProperty("labelRobustScore").GetProperty("values")));
        var ars = Values(json.GetProperty("augmentationRobustScore").GetProperty("values"));
        Assert.Equal(set.Length, json.GetProperty("rounds").GetInt32());
        double Normalised(double x) => 100 * (Math.Exp(x) - Math.Exp(-1)) / (Math.E - Math.Exp(-1));
        for (int k = 0; k < set.Length; k++)
        {
            Assert.Equal(full - hard[k], hlr[k], 12);
            Assert.Equal(set[k] - random[k], ior[k], 12);
            Assert.Equal(Normalised(0.5 * ior[k] - 0.5 * hlr[k]), lrs[k], 9);
            Assert.Equal(Normalised(0.5 * (set[k] - random[k]) + 0.5 * (setPlain[k] - randomPlain[k])), ars[k], 9);
        }
        Assert.Equal(lrs.Average(), json.GetProperty("labelRobustScore").GetProperty("mean").GetDouble(), 9);
    }
}
