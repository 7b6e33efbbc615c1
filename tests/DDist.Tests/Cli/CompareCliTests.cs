using System.Text.Json;
using System.Text.Json.Nodes;
using DDist.Artifacts;
using DDist.Tests.Data;
using static DDist.Tests.Cli.CliRun;

namespace DDist.Tests.Cli;

/// <summary>`ddist compare` end to end on a tiny MNIST subset (every method, two IPCs, seconds), its resumption,
/// `ddist distill --method dm`, and bad input refused before any work.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class CompareCliTests : IDisposable
{
    private readonly TempDir _temp = new();
    private string _dir => _temp.Path;

    public void Dispose() => _temp.Dispose();

    private const string Tiny = "ConvNet(width=8,depth=2)";

    private string TinyRecipe(Action<JsonObject>? edit = null)
    {
        var j = new JsonObject
        {
            ["kind"] = "comparison", ["name"] = "tiny", ["dataset"] = "mnist", ["ipcs"] = new JsonArray(1, 2),
            ["methods"] = new JsonArray("random", "herding", "herding-argmax", "kcenter", "forgetting", "dc", "dsa", "dm"),
            ["seed"] = 3, ["trainPerClass"] = 12, ["testPerClass"] = 5,
            ["dc"] = new JsonObject { ["model"] = Tiny, ["iterations"] = 1, ["outerLoop"] = 2, ["innerLoop"] = 1, ["batchReal"] = 8 },
            ["dsa"] = new JsonObject { ["model"] = Tiny, ["iterations"] = 1, ["outerLoop"] = 2, ["innerLoop"] = 1, ["batchReal"] = 8 },
            ["dm"] = new JsonObject { ["model"] = Tiny, ["iterations"] = 2, ["batchReal"] = 8 },
            ["coreset"] = new JsonObject { ["model"] = Tiny, ["epochs"] = 1 },
            ["forgetting"] = new JsonObject { ["model"] = Tiny, ["epochs"] = 2 },
            ["coverage"] = new JsonObject { ["referencePerClass"] = 4 },
            ["evaluation"] = new JsonObject { ["model"] = Tiny, ["epochs"] = 2, ["nets"] = 1 },
        };
        edit?.Invoke(j);
        var path = Path.Combine(_dir, $"recipe-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, j.ToJsonString());
        return path;
    }

    [RealDataFact("mnist")]
    public void CompareRunsEveryMethodAtEveryIpcAndWritesTheTableAndPlot()
    {
        var recipe = TinyRecipe();
        var outDir = Path.Combine(_dir, "cmp");
        var r = Run("compare", recipe, "--out", outDir, "--json");
        Assert.True(r.Code == 0, r.Err);
        var rows = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "comparison.json")))!["rows"]!.AsArray();
        Assert.Equal(16, rows.Count);
        // Each evaluation network is kept as it finishes (an interrupted evaluation resumes there); forgetting runs likewise.
        Assert.True(File.Exists(Path.Combine(outDir, "ipc2", "dm", "eval", "net-0.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "forgetting", "run-0.safetensors")));
        Assert.False(File.Exists(Path.Combine(outDir, "embedding.safetensors.checkpoint")));   // gone once the network is kept
        foreach (var row in rows)
        {
            double mean = row!["mean"]!.GetValue<double>(), coverage = row["coverage"]!.GetValue<double>();
            Assert.InRange(mean, 0, 1);
            Assert.InRange(coverage, 0, 1);
            // MNIST has a published number for every method at IPC 1 but DeepCore's argmax herding (the DC paper's
            // herding row is another rule), none at IPC 2.
            if (row["ipc"]!.GetValue<int>() == 1 && (string)row["method"]! != "herding-argmax") Assert.NotNull(row["published"]?["source"]);
            else Assert.Null(row["published"]);
        }
        var md = File.ReadAllText(Path.Combine(outDir, "comparison.md"));
        Assert.Contains("IPC 1 (published)", md);
        Assert.Contains("Zhao et al. ICLR 2021 (DC), Table 1", md);
        Assert.Contains("Gain over Random", md);
        Assert.Contains("12 training images per class", md);
        Assert.True(new FileInfo(Path.Combine(outDir, "comparison.png")).Length > 1000);

        using (var dm = SmallSet.Load(Path.Combine(outDir, "ipc2", "dm", "synthetic.safetensors")))
        {
            Assert.Equal(20, dm.Count);
            Assert.Equal(20, dm.DistilledCount);
            Assert.Equal("dm", dm.Info.Method);
        }
        using (var herd = SmallSet.Load(Path.Combine(outDir, "ipc2", "herding", "selected.safetensors")))
            Assert.Equal(0, herd.DistilledCount);

        // The shared steps are kept with what they cost.
        Assert.True(File.Exists(Path.Combine(outDir, "embedding.safetensors")));
        Assert.Contains("- shared: embedding network", md);
        Assert.Contains("- shared: forgetting scores", md);

        // A second run reuses every set and evaluation, and the kept embedding and scores: the same numbers, coverage
        // included, and the same recorded costs, listed in the same order. A checkpoint left beside the kept network
        // (a kill between keeping it and dropping the checkpoint) is cleared.
        var leftCheckpoint = Path.Combine(outDir, "embedding.safetensors.checkpoint");
        File.WriteAllText(leftCheckpoint, "left by a killed run");
        var again = Run("compare", recipe, "--out", outDir, "--json");
        Assert.True(again.Code == 0, again.Err);
        Assert.DoesNotContain("embedding network…", again.Err);
        Assert.DoesNotContain("forgetting scores…", again.Err);
        var rows2 = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "comparison.json")))!["rows"]!.AsArray();
        Assert.Equal(rows.Select(x => x!["mean"]!.GetValue<double>()), rows2.Select(x => x!["mean"]!.GetValue<double>()));
        Assert.Equal(rows.Select(x => x!["coverage"]!.GetValue<double>()), rows2.Select(x => x!["coverage"]!.GetValue<double>()));
        string Shared(string table) => string.Join("\n", table.Split('\n').Where(l => l.StartsWith("- shared: embedding network") || l.StartsWith("- shared: forgetting")).Order());
        var md2 = File.ReadAllText(Path.Combine(outDir, "comparison.md"));
        Assert.Equal(Shared(md), Shared(md2));
        // (the training set's features are embedded again by each process that needs them, their cost kept beside)
        string[] Steps(string table) => table.Split('\n').Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^- shared: (.+) \d+ s$"))
                                             .Where(m => m.Success).Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(["forgetting scores", "embedding network", "embedding features", "coverage radius"], Steps(md));
        Assert.True(File.Exists(Path.Combine(outDir, "embedding-features.json")));
        Assert.Equal(Steps(md), Steps(md2));
        Assert.False(File.Exists(leftCheckpoint));

        // `ddist report` draws SelMatch/MTT reports; on a comparison it says where the comparison's table is.
        var report = Run("report", outDir);
        AssertFails(report, "holds a comparison", "comparison.md");

        // comparison.json marks the table as made, so it is written after the table and the plot: a run that fails to
        // write the plot (here a folder stands in its way) leaves no comparison.json, and the table stays to do.
        File.Delete(Path.Combine(outDir, "comparison.json"));
        File.Delete(Path.Combine(outDir, "comparison.png"));
        Directory.CreateDirectory(Path.Combine(outDir, "comparison.png"));
        Assert.NotEqual(0, Run("compare", recipe, "--out", outDir).Code);
        Assert.False(File.Exists(Path.Combine(outDir, "comparison.json")));
        Directory.Delete(Path.Combine(outDir, "comparison.png"));
    }

    /// <summary>A comparison's "mtt" section: one tiny expert of 2 epochs, 2 iterations of 2 student steps.</summary>
    private static JsonObject MttSection(int maxStartEpoch = 1) => new()
    {
        ["experts"] = new JsonObject { ["model"] = Tiny, ["count"] = 1, ["epochs"] = 2, ["lr"] = 0.01, ["batchSize"] = 16 },
        ["iterations"] = 2, ["synSteps"] = 2, ["expertEpochs"] = 1, ["maxStartEpoch"] = maxStartEpoch, ["batchSyn"] = 8, ["lrImg"] = 100,
    };

    /// <summary>MTT in the family's table: its experts are trained once on the comparison's training set (a shared step
    /// with its cost), every IPC distils from the Random row's images, keeps its final set and is evaluated alike;
    /// `ddist distill RECIPE --method mtt` makes its sets alone, training the experts it needs.</summary>
    [RealDataFact("mnist")]
    public void MttJoinsTheTableFromTheRandomRowsImagesWithItsSharedExperts()
    {
        var recipe = TinyRecipe(j => { j["methods"] = new JsonArray("random", "mtt"); j["mtt"] = MttSection(); });
        var plan = DDist.Pipeline.Stages.Comparison.ComparisonStages.For(DDist.Recipes.ComparisonRecipe.Load(recipe));
        Assert.Equal(["embedding", "experts", "sets", "evaluate", "table"], plan.Select(s => s.Name));
        Assert.Contains("experts", plan.Single(s => s.Name == "sets").After);

        // A finished table without MTT takes it (the mtt section is free while nothing of MTT is in the folder).
        var outDir = Path.Combine(_dir, "mtt");
        var before = Run("compare", TinyRecipe(j => j["methods"] = new JsonArray("random")), "--out", outDir);
        Assert.True(before.Code == 0, before.Err);
        var r = Run("compare", recipe, "--out", outDir, "--json");
        Assert.True(r.Code == 0, r.Err);
        var rows = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "comparison.json")))!["rows"]!.AsArray();
        Assert.Equal(["random 1", "mtt 1", "random 2", "mtt 2"], rows.Select(x => $"{x!["method"]} {x["ipc"]}"));
        Assert.True(File.Exists(Path.Combine(outDir, "experts", "expert_0000.safetensors")));
        Assert.Contains("- shared: MTT experts", File.ReadAllText(Path.Combine(outDir, "comparison.md")));
        Assert.Contains("MTT: experts 1 × " + Tiny + ", 2 epochs; IPC 1, 2: N 2, M 1, T⁺ 1, 2 iterations, lr_img 100,", File.ReadAllText(Path.Combine(outDir, "comparison.md")));
        using (var mtt = SmallSet.Load(Path.Combine(outDir, "ipc2", "mtt", "synthetic.safetensors")))
        using (var random = SmallSet.Load(Path.Combine(outDir, "ipc2", "random", "selected.safetensors")))
        {
            Assert.Equal((20, 20, "mtt"), (mtt.Count, mtt.DistilledCount, mtt.Info.Method));
            Assert.Equal(random.SourceIndex.Order(), mtt.SourceIndex.Order());   // MTT's start: the Random row's images
            Assert.True(mtt.LearnedLr is > 0);
        }
        Assert.True(File.Exists(Path.Combine(outDir, "ipc2", "mtt", "distill.json")));

        var alone = Path.Combine(_dir, "mtt-alone");
        var d = Run("distill", recipe, "--method", "mtt", "--out", alone);
        Assert.True(d.Code == 0, d.Err);
        using (var inTable = SmallSet.Load(Path.Combine(outDir, "ipc2", "mtt", "synthetic.safetensors")))
        using (var made = SmallSet.Load(Path.Combine(alone, "ipc2", "mtt", "synthetic.safetensors")))
            Assert.Equal(inTable.Images.ToArray<float>(), made.Images.ToArray<float>());
        Assert.False(File.Exists(Path.Combine(alone, "ipc2", "mtt", "eval.json")));
        // Settings that differ by IPC ('mtt.byIpc') reach that IPC's distillation only.
        var byIpc = TinyRecipe(j => { j["methods"] = new JsonArray("random", "mtt"); j["mtt"] = MttSection(); j["mtt"]!["byIpc"] = new JsonObject { ["2"] = new JsonObject { ["iterations"] = 3 } }; });
        var perIpc = Path.Combine(_dir, "mtt-by-ipc");
        var p = Run("distill", byIpc, "--method", "mtt", "--out", perIpc);
        Assert.True(p.Code == 0, p.Err);
        Assert.Equal([2, 3], new[] { 1, 2 }.Select(ipc => (int)JsonNode.Parse(File.ReadAllText(Path.Combine(perIpc, $"ipc{ipc}", "mtt", "distill.json")))!["iterations"]!));
        using (var inTable = SmallSet.Load(Path.Combine(outDir, "ipc1", "mtt", "synthetic.safetensors")))
        using (var made = SmallSet.Load(Path.Combine(perIpc, "ipc1", "mtt", "synthetic.safetensors")))
            Assert.Equal(inTable.Images.ToArray<float>(), made.Images.ToArray<float>());
        // Once MTT is in the folder, its settings are the folder's.
        var longer = TinyRecipe(j => { j["methods"] = new JsonArray("random", "mtt"); j["mtt"] = MttSection(); j["mtt"]!["iterations"] = 3; });
        AssertFails(Run("compare", longer, "--out", outDir), "'mtt.iterations' is 2 there, 3 here");
    }

    /// <summary>Rows made elsewhere (a SelMatch run's sets, `ddist import-set` of another project's) join the table from
    /// the recipe's 'sets': copied in, checked against the comparison, evaluated by its protocol, said to be imported.</summary>
    [RealDataFact("mnist")]
    public void SetsMadeElsewhereJoinTheTableAsRows()
    {
        foreach (var ipc in new[] { 1, 2 })
            Assert.Equal(0, Run("select", "random", "--dataset", "mnist", "--ipc", $"{ipc}", "--seed", "9", "--out", Path.Combine(_dir, $"elsewhere-{ipc}.safetensors")).Code);
        JsonObject Sets(string one = "elsewhere-1.safetensors") => new() { ["selmatch"] = new JsonObject { ["1"] = one, ["2"] = "elsewhere-2.safetensors" } };
        var recipe = TinyRecipe(j => { j["methods"] = new JsonArray("random", "selmatch"); j["sets"] = Sets(); });
        var outDir = Path.Combine(_dir, "imported");
        var r = Run("compare", recipe, "--out", outDir);
        Assert.True(r.Code == 0, r.Err);

        var rows = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "comparison.json")))!["rows"]!.AsArray();
        Assert.Equal(["random 1", "selmatch 1", "random 2", "selmatch 2"], rows.Select(x => $"{x!["method"]} {x["ipc"]}"));
        Assert.Equal(Path.Combine(_dir, "elsewhere-2.safetensors"), (string)rows[3]!["imported_from"]!);   // relative to the recipe's folder
        Assert.Null(rows[2]!["imported_from"]);
        using (var source = SmallSet.Load(Path.Combine(_dir, "elsewhere-2.safetensors")))
        using (var copy = SmallSet.Load(Path.Combine(outDir, "ipc2", "selmatch", "imported.safetensors")))
            Assert.Equal(source.Digest(), copy.Digest());
        var md = File.ReadAllText(Path.Combine(outDir, "comparison.md"));
        Assert.Contains("Made elsewhere (the recipe's 'sets'), evaluated here like the others: selmatch", md);
        Assert.Contains("- selmatch IPC 2: made elsewhere + ", md);

        // Another file for a copied cell is refused; a row joining later is taken.
        File.Copy(Path.Combine(_dir, "elsewhere-1.safetensors"), Path.Combine(_dir, "other-1.safetensors"));
        AssertFails(Run("compare", TinyRecipe(j => { j["methods"] = new JsonArray("random", "selmatch"); j["sets"] = Sets("other-1.safetensors"); }), "--out", outDir),
                    "selmatch at IPC 1 was copied from", "other-1.safetensors");
        var joined = Run("compare", TinyRecipe(j =>
        {
            j["methods"] = new JsonArray("random", "selmatch", "later");
            var sets = Sets();
            sets["later"] = new JsonObject { ["1"] = "other-1.safetensors" };   // a row may give only some IPCs
            j["sets"] = sets;
        }), "--out", outDir);
        Assert.True(joined.Code == 0, joined.Err);
        Assert.Equal(5, JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "comparison.json")))!["rows"]!.AsArray().Count);
        // A run of some IPCs leaves the other IPCs' sets aside, and the folder's recipe loads as Slurm's tasks read it.
        var some = Run("compare", recipe, "--ipc", "2", "--out", Path.Combine(_dir, "some"));
        Assert.True(some.Code == 0, some.Err);
        var kept = DDist.Recipes.ComparisonRecipe.Load(Path.Combine(_dir, "some", "recipe.json"));
        Assert.Equal(["2"], kept.Sets!["selmatch"].Keys);
        Assert.Contains("| later | ", File.ReadAllText(Path.Combine(outDir, "comparison.md")));
        Assert.Contains(" – |", File.ReadAllText(Path.Combine(outDir, "comparison.md")));

        // A whitened set (an MTT or DATM run's) is measured on the test images whitened with its own transform; coverage,
        // read through the embedding network in the dataset's normalisation, is left out for it.
        using (var plain = SmallSet.Load(Path.Combine(_dir, "elsewhere-1.safetensors")))
        using (var zca = DDist.Data.ZcaTransform.Fit(RealMnist.Mnist.Train))
        using (var whitened = new SmallSet
        {
            Images = plain.Images.Alias(), Labels = plain.Labels.Alias(), IsDistilled = plain.IsDistilled, SourceIndex = plain.SourceIndex,
            Zca = zca.ToTensors(), Info = plain.Info with { Normalization = "zca" },
        }) whitened.Save(Path.Combine(_dir, "whitened-1.safetensors"));
        var withZca = Run("compare", TinyRecipe(j =>
        {
            j["methods"] = new JsonArray("random", "zca-row");
            j["sets"] = new JsonObject { ["zca-row"] = new JsonObject { ["1"] = "whitened-1.safetensors" } };
        }), "--out", Path.Combine(_dir, "zca"));
        Assert.True(withZca.Code == 0, withZca.Err);
        Assert.Contains("zca-row at IPC 1: the set is ZCA-whitened, so the test images are whitened with the transform it carries", withZca.Err);
        var zcaRows = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "zca", "comparison.json")))!["rows"]!.AsArray();
        Assert.Equal(["random 1", "zca-row 1", "random 2"], zcaRows.Select(x => $"{x!["method"]} {x["ipc"]}"));
        Assert.NotNull(zcaRows[0]!["coverage"]);
        Assert.Null(zcaRows[1]!["coverage"]);

        // Sets that do not fit are named before they are tabled.
        var swapped = Run("compare", TinyRecipe(j =>
        {
            j["methods"] = new JsonArray("random", "swapped");
            j["sets"] = new JsonObject { ["swapped"] = new JsonObject { ["1"] = "elsewhere-2.safetensors", ["2"] = "elsewhere-1.safetensors" } };
        }), "--out", Path.Combine(_dir, "swapped"));
        AssertFails(swapped, "elsewhere-2.safetensors: the set holds 2 images per class, but 'sets.swapped' gives it for IPC 1");
        AssertFails(Run("compare", TinyRecipe(j => { j["methods"] = new JsonArray("random", "half"); j["sets"] = new JsonObject { ["half"] = new JsonObject { ["5"] = "elsewhere-1.safetensors" } }; }),
                        "--out", Path.Combine(_dir, "half")), "field 'sets.half' gives a set for IPC 5, which 'ipcs' does not list (1, 2)");
        AssertFails(Run("compare", TinyRecipe(j => { j["methods"] = new JsonArray("random", "dm"); j["sets"] = Sets(); j["sets"]!["dm"] = Sets()["selmatch"]!.DeepClone(); }),
                        "--out", Path.Combine(_dir, "named")), "field 'sets.dm' names a row the comparison makes itself");
        AssertFails(Run("compare", TinyRecipe(j => j["methods"] = new JsonArray("random", "selmatch")), "--out", Path.Combine(_dir, "own")),
                    "give its sets in 'sets.selmatch' to table them here");
    }

    [RealDataFact("mnist")]
    public void DistillWithAFamilyMethodMakesItsSetsOnly()
    {
        var outDir = Path.Combine(_dir, "dm");
        var r = Run("distill", TinyRecipe(j => j["methods"] = new JsonArray("random", "dm")), "--method", "dm", "--out", outDir, "--json");
        Assert.True(r.Code == 0, r.Err);
        Assert.True(File.Exists(Path.Combine(outDir, "ipc1", "dm", "synthetic.safetensors")));
        Assert.True(File.Exists(Path.Combine(outDir, "ipc2", "dm", "loss.json")));
        Assert.False(File.Exists(Path.Combine(outDir, "ipc1", "dm", "eval.json")));
        Assert.False(Directory.Exists(Path.Combine(outDir, "ipc1", "random")));
    }

    /// <summary>evaluation.crossArchitectures in a comparison: every set trained again with each listed network (the
    /// same protocol and seeds), one task per architecture and set, tabled by IPC and architecture in comparison.md,
    /// comparison.json and the printed result. A finished folder takes the list and a step size per architecture: only
    /// the new evaluations run, and the table is rebuilt with them.</summary>
    [RealDataFact("mnist")]
    public void CrossArchitecturesEvaluateEverySetWithEachListedNetwork()
    {
        var outDir = Path.Combine(_dir, "across");
        var plain = TinyRecipe(j => { j["methods"] = new JsonArray("random", "dm"); j["ipcs"] = new JsonArray(1); });
        Assert.Equal(0, Run("compare", plain, "--out", outDir).Code);
        var own = File.ReadAllBytes(Path.Combine(outDir, "ipc1", "dm", "eval.json"));

        var across = TinyRecipe(j =>
        {
            j["methods"] = new JsonArray("random", "dm"); j["ipcs"] = new JsonArray(1);
            j["evaluation"]!["crossArchitectures"] = new JsonArray("MLP", "ConvNet(width=4,depth=1)");
        });
        var r = Run("compare", across, "--out", outDir);
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(own, File.ReadAllBytes(Path.Combine(outDir, "ipc1", "dm", "eval.json")));          // not evaluated again
        foreach (var method in new[] { "random", "dm" })
            foreach (var arch in new[] { "MLP", "ConvNet(width=4,depth=1)" })
                Assert.True(File.Exists(Path.Combine(outDir, "ipc1", method, "eval-arch", arch, "eval.json")), $"{method} on {arch}");
        var mlp = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "ipc1", "dm", "eval-arch", "MLP", "eval.json")))!;
        var md = File.ReadAllText(Path.Combine(outDir, "comparison.md"));
        Assert.Contains($"| method | IPC 1 {Tiny} | IPC 1 MLP | IPC 1 ConvNet(width=4,depth=1) |", md);
        Assert.Contains(FormattableString.Invariant($" {100 * mlp["Mean"]!.GetValue<double>():F2} ± {100 * mlp["Std"]!.GetValue<double>():F2} |"), md);
        Assert.Contains("across architectures (same sets, protocol and seeds)", r.Out);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "comparison.json")))!;
        var dmAcross = json["rows"]!.AsArray().Single(x => x!["method"]!.GetValue<string>() == "dm")!["across"]!.AsArray();
        Assert.Equal(["MLP", "ConvNet(width=4,depth=1)"], dmAcross.Select(a => a!["architecture"]!.GetValue<string>()));
        Assert.Equal(mlp["Mean"]!.GetValue<double>(), dmAcross[0]!["mean"]!.GetValue<double>());
        // The cost of those evaluations is listed beside each set's own.
        Assert.Equal(mlp["Seconds"]!.GetValue<double>(), dmAcross[0]!["eval_seconds"]!.GetValue<double>());
        Assert.Matches(@"- dm IPC 1: \d+ s \+ \d+ s \(\+ MLP \d+ s, ConvNet\(width=4,depth=1\) \d+ s\)", md);

        // A step size for the MLP only: its evaluations run again under MLP@lr0.002, the other architecture's are read.
        var other = File.GetLastWriteTimeUtc(Path.Combine(outDir, "ipc1", "dm", "eval-arch", "ConvNet(width=4,depth=1)", "eval.json"));
        var atLr = TinyRecipe(j =>
        {
            j["methods"] = new JsonArray("random", "dm"); j["ipcs"] = new JsonArray(1);
            j["evaluation"]!["crossArchitectures"] = new JsonArray("MLP", "ConvNet(width=4,depth=1)");
            j["evaluation"]!["crossArchitectureLr"] = new JsonObject { ["MLP"] = 0.002 };
        });
        var lr = Run("compare", atLr, "--out", outDir);
        Assert.True(lr.Code == 0, lr.Err);
        Assert.True(File.Exists(Path.Combine(outDir, "ipc1", "dm", "eval-arch", "MLP@lr0.002", "eval.json")));
        Assert.Equal(other, File.GetLastWriteTimeUtc(Path.Combine(outDir, "ipc1", "dm", "eval-arch", "ConvNet(width=4,depth=1)", "eval.json")));
        md = File.ReadAllText(Path.Combine(outDir, "comparison.md"));
        Assert.Contains("| IPC 1 MLP (lr 0.002) | IPC 1 ConvNet(width=4,depth=1) |", md);
        Assert.Contains("A column named with a step size trained at that step size", md);

        AssertFails(Run("compare", TinyRecipe(j => j["evaluation"]!["crossArchitectures"] = new JsonArray(Tiny)), "--out", Path.Combine(_dir, "own")),
                    "evaluation.crossArchitectures[0]", "the evaluation's own model");
    }

    [RealDataFact("mnist")]
    public void AFolderFillsCellByCell_AndAnotherRecipeIsRefusedByItsField()
    {
        var recipe = TinyRecipe(j => j["methods"] = new JsonArray("random", "dm"));
        var outDir = Path.Combine(_dir, "cells");
        var first = Run("compare", recipe, "--ipc", "1", "--methods", "random", "--out", outDir);
        Assert.True(first.Code == 0, first.Err);
        var eval = Path.Combine(outDir, "ipc1", "random", "eval.json");
        var kept = File.ReadAllBytes(eval);
        // No DM set is begun yet, so DM's settings may still change (the folder records the last ones).
        var tuned = Run("compare", TinyRecipe(j => { j["methods"] = new JsonArray("random", "dm"); j["dm"]!["iterations"] = 3; }), "--ipc", "1", "--methods", "random", "--out", outDir);
        Assert.True(tuned.Code == 0, tuned.Err);

        // The rest of the recipe into the same folder: the finished cell is read, not redone.
        var all = Run("compare", recipe, "--out", outDir, "--json");
        Assert.True(all.Code == 0, all.Err);
        Assert.Equal(4, JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "comparison.json")))!["rows"]!.AsArray().Count);
        Assert.Equal(kept, File.ReadAllBytes(eval));

        // An edited description is the same recipe; one that differs in more than its cells is refused, naming the
        // field (a data error, not an internal one).
        var described = Run("compare", TinyRecipe(j => { j["methods"] = new JsonArray("random", "dm"); j["description"] = "edited"; }), "--out", outDir);
        Assert.True(described.Code == 0, described.Err);
        var other = Run("compare", TinyRecipe(j => { j["methods"] = new JsonArray("random", "dm"); j["seed"] = 4; }), "--out", outDir);
        Assert.Equal(DDist.Cli.ExitCodes.DataError, other.Code);
        Assert.Contains("'seed' is 3 there, 4 here", other.Err);
        Assert.DoesNotContain("internal", other.Err);
        // Once DM's sets are made its settings are the folder's; DC's, of which nothing is made, are still free.
        AssertFails(Run("compare", TinyRecipe(j => { j["methods"] = new JsonArray("random", "dm"); j["dm"]!["iterations"] = 3; }), "--out", outDir),
                    "'dm.iterations' is 2 there, 3 here");
        var dcTuned = Run("compare", TinyRecipe(j => { j["methods"] = new JsonArray("random", "dm"); j["dc"]!["iterations"] = 5; }), "--out", outDir);
        Assert.True(dcTuned.Code == 0, dcTuned.Err);
    }

    [Fact]
    public void AFolderOfAnotherKindOfRecipeIsRefused_AndItsRecipeKept()
    {
        // A SelMatch run's folder takes no comparison, and a comparison's no SelMatch run: each would mix its files
        // with the other's and overwrite the record of what made them.
        var demo = Path.Combine(Recipes.ComparisonRecipeTests.RecipesDir(), "fashion-mnist-ipc10-demo.json");
        var comparison = TinyRecipe();
        foreach (var (kept, run) in new[] { (demo, new[] { "compare", comparison }), (comparison, new[] { "run", demo }) })
        {
            var outDir = Path.Combine(_dir, $"kind-{Guid.NewGuid():N}");
            Directory.CreateDirectory(outDir);
            File.Copy(kept, Path.Combine(outDir, "recipe.json"));
            File.WriteAllText(Path.Combine(outDir, "result-of-the-kept-recipe.json"), "{}");
            var r = Run([.. run, "--out", outDir]);
            Assert.Equal(DDist.Cli.ExitCodes.DataError, r.Code);
            Assert.Contains("holds the results of another recipe", r.Err);
            Assert.Equal(File.ReadAllText(kept), File.ReadAllText(Path.Combine(outDir, "recipe.json")));
            Assert.Equal(["recipe.json", "result-of-the-kept-recipe.json"], Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName).Order());
        }
    }

    /// <summary>A run that stopped before making anything (its dataset not found, say) leaves only its recipe: the
    /// corrected recipe takes the folder; once a result is there, another recipe is refused.</summary>
    [Fact]
    public void AFolderHoldingOnlyAnotherRecipeIsTakenByTheNext()
    {
        var dir = Path.Combine(_dir, "claim");
        DDist.Pipeline.FolderRecipe.Claim(dir, """{"name":"a","seed":1}""");
        Directory.CreateDirectory(Path.Combine(dir, "experts"));   // a stage that began and made nothing
        DDist.Pipeline.FolderRecipe.Claim(dir, """{"name":"a","seed":2}""");
        Assert.Equal("""{"name":"a","seed":2}""", File.ReadAllText(Path.Combine(dir, "recipe.json")));
        File.WriteAllText(Path.Combine(dir, "experts", "expert-0.safetensors"), "");
        var e = Assert.Throws<InvalidDataException>(() => DDist.Pipeline.FolderRecipe.Claim(dir, """{"name":"a","seed":3}"""));
        Assert.Contains("'seed' is 2 there, 3 here", e.Message);

        // The same recipe again (a resumed run) clears what a killed writer of this machine left, and only that.
        var abandoned = Path.Combine(dir, "experts", $".expert-1.safetensors.{Guid.NewGuid():N}.999999999@{DDist.Torch.IO.AtomicFile.Host}.tmp");
        File.WriteAllText(abandoned, "partial");
        DDist.Pipeline.FolderRecipe.Claim(dir, """{"name":"a","seed":2}""");
        Assert.False(File.Exists(abandoned));
        Assert.True(File.Exists(Path.Combine(dir, "experts", "expert-0.safetensors")));
    }

    [Fact]
    public void BadInputIsRefusedBeforeAnyWork()
    {
        var outDir = Path.Combine(_dir, "bad");
        var big = Run("compare", TinyRecipe(j => { j["trainPerClass"] = null; j["ipcs"] = new JsonArray(1, 6000); }), "--out", outDir);
        Assert.NotEqual(0, big.Code);
        Assert.Contains("ipcs", big.Err);
        Assert.Contains("6000", big.Err);
        var noMtt = Run("compare", TinyRecipe(j => j["methods"] = new JsonArray("random", "mtt")), "--out", outDir);
        Assert.NotEqual(0, noMtt.Code);
        Assert.Contains("field 'mtt' is missing", noMtt.Err);
        var badMtt = Run("compare", TinyRecipe(j => { j["methods"] = new JsonArray("random", "mtt"); j["mtt"] = MttSection(maxStartEpoch: 3); }), "--out", outDir);
        Assert.NotEqual(0, badMtt.Code);
        Assert.Contains("field 'mtt.maxStartEpoch' is 3 with expertEpochs 1: needs expert snapshot 3, mtt.experts.epochs is 2", badMtt.Err);
        var dcOnSelMatch = Run("distill", Path.Combine(Recipes.ComparisonRecipeTests.RecipesDir(), "fashion-mnist-ipc300-demo.json"), "--method", "dc", "--out", outDir);
        Assert.NotEqual(0, dcOnSelMatch.Code);
        Assert.Contains("comparison recipe", dcOnSelMatch.Err);
        var compareOnSelMatch = Run("compare", Path.Combine(Recipes.ComparisonRecipeTests.RecipesDir(), "fashion-mnist-ipc300-demo.json"), "--out", outDir);
        Assert.Equal(DDist.Cli.ExitCodes.UsageError, compareOnSelMatch.Code);
        Assert.Contains("not a comparison recipe", compareOnSelMatch.Err);
        // --ipc and --methods pick cells of the recipe; others would replace the folder's recipe with another.
        var tiny = TinyRecipe(j => j["methods"] = new JsonArray("random", "dm"));
        var otherIpc = Run("compare", tiny, "--ipc", "5", "--out", outDir);
        Assert.Equal(DDist.Cli.ExitCodes.UsageError, otherIpc.Code);
        Assert.Contains("--ipc 5: not in", otherIpc.Err);
        var otherMethod = Run("compare", tiny, "--methods", "random,dsa", "--out", outDir);
        Assert.Equal(DDist.Cli.ExitCodes.UsageError, otherMethod.Code);
        Assert.Contains("--methods dsa: not in", otherMethod.Err);
        Assert.False(Directory.Exists(outDir), "no stage may start on bad input");
    }

    /// <summary>A comparison on the user's own images (folder:PATH), which used to stop at loading the data for want of a
    /// registered spec to normalise by: it normalises by the folder's training split, as the standalone commands do.</summary>
    [Fact]
    public void AComparisonRunsOnAnImageFolder()
    {
        using var images = CoresetSelectCliTests.TinyImageFolder();
        var recipe = TinyRecipe(j =>
        {
            j["dataset"] = $"folder:{images.Path}";
            j["methods"] = new JsonArray("random", "herding", "dm");
            j["trainPerClass"] = 8;
            j["testPerClass"] = 2;
        });
        var outDir = Path.Combine(_dir, "folder-cmp");
        var r = Run("compare", recipe, "--out", outDir, "--json");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(6, JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "comparison.json")))!["rows"]!.AsArray().Count);
        using var set = SmallSet.Load(Path.Combine(outDir, "ipc1", "dm", "synthetic.safetensors"));
        Assert.StartsWith("computed:folder:", set.Info.Normalization);
    }
}

/// <summary>`ddist select forgetting` picks the most forgotten examples of each class; herding and k-center refuse an
/// IPC larger than a class before training anything.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class CoresetSelectCliTests : IDisposable
{
    private readonly TempDir _temp = new();
    private string _dir => _temp.Path;

    public void Dispose() => _temp.Dispose();

    /// <summary>Coverage compares sets of one dataset; sets of two are a data error naming the file that differs.</summary>
    [RealDataFact("mnist")]
    public void CoverageOfSetsFromTwoDatasetsNamesTheOddOne()
    {
        string Set(string dataset)
        {
            var path = Path.Combine(_dir, dataset + ".safetensors");
            Assert.Equal(0, Run("select", "random", "--dataset", dataset, "--ipc", "1", "--out", path).Code);
            return path;
        }
        var (digits, clothes) = (Set("mnist"), Set("fashion-mnist"));
        var r = Run("coverage", digits, clothes);
        Assert.Equal(DDist.Cli.ExitCodes.DataError, r.Code);
        AssertFails(r, $"{clothes}: field 'dataset' is 'fashion-mnist', but {digits} is of 'mnist'");
    }

    [Fact]
    public void ForgettingScoresRefuseAnUnknownNeverLearnedRuleBeforeLoadingData()
    {
        var r = Run("scores", "forgetting", "--dataset", "folder:/nonexistent", "--never-learned", "sometimes", "--out", Path.Combine(_dir, "s.safetensors"));
        AssertFails(r, "--never-learned sometimes", "most-forgotten or zero");
        // One epoch has no consecutive presentations to compare: refused as a recipe refuses it.
        var once = Run("scores", "forgetting", "--dataset", "folder:/nonexistent", "--epochs", "1", "--out", Path.Combine(_dir, "s.safetensors"));
        Assert.Equal(DDist.Cli.ExitCodes.UsageError, once.Code);
        AssertFails(once, "--epochs 1: must be at least 2");
    }

    /// <summary>A `folder:` dataset of two classes of twelve 8×8 grey images: seconds to train on.</summary>
    internal static TempDir TinyImageFolder()
    {
        var images = new TempDir();
        for (int c = 0; c < 2; c++)
            for (int k = 0; k < 12; k++)
                images.Write($"class{c}/img{k:D2}.png", TestPng.Encode(TestPng.Pattern(8, 8, 1, 20 * c + k), 8, 8, 1));
        return images;
    }

    [Fact]
    public void ForgettingScoresResumeFromTheRunsAnInterruptedCommandLeftBesideTheOutput()
    {
        using var images = TinyImageFolder();
        var output = Path.Combine(_dir, "scores.safetensors");
        string[] args = ["scores", "forgetting", "--dataset", $"folder:{images.Path}", "--model", "ConvNet(width=4,depth=1)",
                         "--runs", "2", "--epochs", "2", "--batch", "8", "--out", output];

        // What an interrupted command left: run 0 finished (with counts no 2-epoch run can have, to see it is read, not retrained).
        var partial = output + ".partial";
        var train = DDist.Data.ImageFolderReader.Read(images.Path).Train;
        Directory.CreateDirectory(partial);
        using (new DDist.Torch.TensorScope())
            DDist.Torch.IO.SafeTensors.Save(DDist.Selection.ForgettingScoreTrainer.RunFile(partial, 0), new Dictionary<string, DDist.Torch.Tensor>
            {
                ["counts"] = DDist.Torch.Tensors.FromArray(Enumerable.Repeat(100, train.Count).ToArray()),
                ["mean_loss"] = DDist.Torch.Tensors.FromArray(new double[train.Count]),
                ["never_learned"] = DDist.Torch.Tensors.FromArray(new byte[train.Count]),
            });

        var r = Run(args);
        Assert.True(r.Code == 0, r.Err);
        var scores = DDist.Selection.DifficultyScores.Load(output);
        Assert.Equal(train.Count, scores.Count);
        Assert.All(scores.Scores, s => Assert.InRange(s, 50, 51));   // (100 + run 1's count ≤ 2) / 2
        Assert.False(Directory.Exists(partial));                      // gone once the scores are written
    }

    [Fact]
    public void LearningSpeedScoresComeFromTheSameCommandLineAndImportAsTheirKind()
    {
        using var images = TinyImageFolder();
        var output = Path.Combine(_dir, "speed.safetensors");
        var r = Run("scores", "learning-speed", "--dataset", $"folder:{images.Path}", "--model", "ConvNet(width=4,depth=1)",
                    "--runs", "2", "--epochs", "2", "--batch", "8", "--out", output);
        Assert.True(r.Code == 0, r.Err);
        Assert.Matches(@"learning-speed scores of \d+ examples \(learning speed \(mean true-label confidence\): 2 runs × 2 epochs", r.Out);
        var scores = DDist.Selection.DifficultyScores.Load(output);
        Assert.Equal((DDist.Selection.ScoreKind.LearningSpeed, DDist.Selection.HardEnd.Low), (scores.Kind, scores.Direction));
        Assert.All(scores.Scores, c => Assert.InRange(c, 0.0, 1.0));   // a mean softmax probability
        Assert.False(Directory.Exists(output + ".partial"));

        // Imported, a DDist file keeps its kind; asked for as forgetting scores it is refused (the hard ends differ).
        var copy = Path.Combine(_dir, "imported.safetensors");
        Assert.Equal(0, Run("scores", "import", output, "--dataset", $"folder:{images.Path}", "--kind", "learning-speed", "--out", copy).Code);
        Assert.Equal(scores.Scores, DDist.Selection.DifficultyScores.Load(copy).Scores);
        AssertFails(Run("scores", "import", output, "--dataset", $"folder:{images.Path}", "--kind", "forgetting", "--out", copy), "'learning-speed'");
        // No forgetting counts, so no rule on never-learned examples to give.
        Assert.NotEqual(0, Run("scores", "learning-speed", "--dataset", $"folder:{images.Path}", "--never-learned", "zero", "--out", output).Code);
    }

    [Fact]
    public void HerdingAndKCenterShareOneKeptEmbeddingNetwork()
    {
        using var images = TinyImageFolder();
        var kept = Path.Combine(_dir, "embedding.safetensors");
        string[] Args(string method, int ipc, int epochs) => ["select", method, "--dataset", $"folder:{images.Path}", "--ipc", ipc.ToString(),
            "--embed-model", "ConvNet(width=4,depth=1)", "--embed-epochs", epochs.ToString(), "--embedding", kept, "--out", Path.Combine(_dir, $"{method}{ipc}.safetensors")];

        var herding = Run(Args("herding", 2, 2));
        Assert.True(herding.Code == 0, herding.Err);
        Assert.Contains("training the embedding network", herding.Err);
        Assert.True(File.Exists(kept));
        Assert.False(File.Exists(kept + ".checkpoint"));   // done with once the network is kept

        var kcenter = Run(Args("kcenter", 3, 2));
        Assert.True(kcenter.Code == 0, kcenter.Err);
        Assert.Contains($"embedding network read from {kept}", kcenter.Err);
        AssertFails(Run(Args("kcenter", 3, 3)), kept, "'options'");   // trained otherwise: refused, not silently used
    }

    [RealDataFact("mnist")]
    public void ForgettingTakesTheHighestCountsOfEachClass()
    {
        var labels = RealMnist.Mnist.Train.Labels.Select(l => (long)l).ToArray();
        var rng = new Random(4);
        var scores = labels.Select(_ => (double)rng.Next(0, 1000)).ToArray();
        var path = Path.Combine(_dir, "scores.safetensors");
        new DDist.Selection.DifficultyScores
        {
            Scores = scores, Labels = labels, Kind = DDist.Selection.ScoreKind.Forgetting, Direction = DDist.Selection.HardEnd.High,
            Dataset = "mnist", Source = "test",
        }.Save(path);
        var setPath = Path.Combine(_dir, "f.safetensors");
        var r = Run("select", "forgetting", "--dataset", "mnist", "--ipc", "3", "--scores", path, "--out", setPath);
        Assert.True(r.Code == 0, r.Err);
        using var set = SmallSet.Load(setPath);
        Assert.Equal(30, set.Count);
        Assert.Equal("forgetting", set.Info.Method);
        for (int c = 0; c < 10; c++)
        {
            // Highest scores first; equal scores keep dataset order.
            var expected = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c)
                                     .OrderByDescending(i => scores[i]).ThenBy(i => i).Take(3).Select(i => (long)i);
            Assert.Equal(expected, set.SourceIndex.Skip(3 * c).Take(3));
        }

        // Scores of another dataset, or of too few examples, are refused as bad data naming the file given.
        foreach (var (dataset, count, field) in new[] { ("fashion-mnist", labels.Length, "'dataset'"), ("mnist", 100, "'scores'") })
        {
            var other = Path.Combine(_dir, $"other-{dataset}-{count}.safetensors");
            new DDist.Selection.DifficultyScores
            {
                Scores = scores[..count], Kind = DDist.Selection.ScoreKind.Forgetting, Direction = DDist.Selection.HardEnd.High,
                Dataset = dataset, Source = "elsewhere.npy",
            }.Save(other);
            var refused = Run("select", "forgetting", "--dataset", "mnist", "--ipc", "3", "--scores", other, "--out", setPath + ".x");
            Assert.Equal(DDist.Cli.ExitCodes.DataError, refused.Code);
            Assert.Contains($"{other}: ", refused.Err);
            Assert.Contains(field, refused.Err);
            Assert.False(File.Exists(setPath + ".x"));
        }
    }

    [RealDataFact("mnist")]
    public void HerdingRefusesAnIpcLargerThanAClassBeforeTraining()
    {
        var r = Run("select", "herding", "--dataset", "mnist", "--ipc", "6000", "--out", Path.Combine(_dir, "h.safetensors"));
        Assert.NotEqual(0, r.Code);
        Assert.Contains("--ipc 6000", r.Err);
        Assert.DoesNotContain("training the embedding network", r.Err);
        var rule = Run("select", "herding", "--dataset", "mnist", "--ipc", "1", "--rule", "median", "--embed-epochs", "1", "--out", Path.Combine(_dir, "h.safetensors"));
        Assert.NotEqual(0, rule.Code);
        Assert.Contains("--rule 'median'", rule.Err);
    }
}
