using System.Text.Json.Nodes;
using DDist.Tests.Data;
using static DDist.Tests.Cli.CliRun;

namespace DDist.Tests.Cli;

/// <summary>The recipe-driven commands (run, window, distill, report, show) reject bad input before any work.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class PipelineCliTests : IDisposable
{
    private readonly TempDir _temp = new();
    private string _dir => _temp.Path;

    public void Dispose() => _temp.Dispose();

    private static string DemoRecipe()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "DDist.slnx"))) dir = Path.GetDirectoryName(dir);
        return Path.Combine(dir ?? throw new InvalidOperationException("repo root not found"), "recipes", "fashion-mnist-ipc300-demo.json");
    }

    private string RecipeWith(Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(DemoRecipe()))!.AsObject();
        edit(json);
        var path = Path.Combine(_dir, "recipe.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    [Theory]
    [InlineData("experts.model", "NoSuchNet")]
    [InlineData("distill.alpha", "1.5")]
    [InlineData("ipc", "7000")]
    [InlineData("distill.unroll", "tesly")]
    public void BadRecipeFieldFailsBeforeAnyWorkNamingTheField(string field, string value)
    {
        var recipe = RecipeWith(j =>
        {
            var parts = field.Split('.');
            var node = parts.Length == 1 ? j : j[parts[0]]!.AsObject();
            node[parts[^1]] = double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var d) ? JsonValue.Create(d) : JsonValue.Create(value);
        });
        var outDir = Path.Combine(_dir, "run");
        var r = Run("run", recipe, "--out", outDir);
        Assert.NotEqual(0, r.Code);
        Assert.Contains(field, r.Err);
        Assert.False(Directory.Exists(Path.Combine(outDir, "experts")), "no stage may start on a bad recipe");
    }

    /// <summary>Exit codes (README "Exit codes"): a bad recipe is the user's data (65) and never called internal;
    /// a missing file is 66; a bad command line 2.</summary>
    [Theory]
    [InlineData("{ \"name\": \"x\", ", "recipe.json")]                         // not valid JSON
    [InlineData("missing-field", "'experts'")]                                   // a required section is absent
    [InlineData("alpha", "distill.alpha")]                                       // α = 1.7
    public void BadRecipeExitsWithTheDataCodeAndNoInternalLabel(string kind, string mention)
    {
        string path;
        if (kind == "missing-field") path = RecipeWith(j => j.Remove("experts"));
        else if (kind == "alpha") path = RecipeWith(j => j["distill"]!["alpha"] = 1.7);
        else File.WriteAllText(path = Path.Combine(_dir, "recipe.json"), kind);
        foreach (var command in new[] { "run", "window", "distill" })
        {
            var r = Run(command, path, "--out", Path.Combine(_dir, "o"));
            Assert.True(r.Code == DDist.Cli.ExitCodes.DataError, $"{command}: exit {r.Code}: {r.Err}");
            Assert.Contains(mention, r.Err);
            Assert.DoesNotContain("internal", r.Err);
            Assert.DoesNotContain("RecipeException", r.Err);
            Assert.DoesNotContain("   at ", r.Err);
        }
    }

    [Fact]
    public void ExitCodesSeparateUsageMissingInputAndData()
    {
        Assert.Equal(DDist.Cli.ExitCodes.NoInput, Run("run", Path.Combine(_dir, "nope.json")).Code);
        Assert.Equal(DDist.Cli.ExitCodes.UsageError, Run("window", DemoRecipe(), "--shard", "2/2", "--out", Path.Combine(_dir, "w")).Code);
        Assert.Equal(DDist.Cli.ExitCodes.UsageError, Run("distill", DemoRecipe(), "--method", "dd", "--out", Path.Combine(_dir, "d")).Code);
        Assert.Equal(DDist.Cli.ExitCodes.UsageError, Run("run").Code);                       // missing argument: a parse error
        Assert.Equal(DDist.Cli.ExitCodes.UsageError, Run("run", DemoRecipe(), "--no-such-option").Code);
        var junk = Path.Combine(_dir, "junk.safetensors");
        File.WriteAllText(junk, "not a safetensors file");
        var bad = Run("eval", junk);
        Assert.Equal(DDist.Cli.ExitCodes.DataError, bad.Code);
        Assert.DoesNotContain("internal", bad.Err);
    }

    [Fact]
    public void ExitCodeMappingLabelsOnlyRealInternalErrorsAsInternal()
    {
        Assert.Equal((65, false), DDist.Cli.ExitCodes.For(new DDist.Recipes.RecipeException("r.json", ["field 'distill.alpha' is 1.7"])));
        Assert.Equal((65, false), DDist.Cli.ExitCodes.For(new InvalidDataException("x")));
        Assert.Equal((65, false), DDist.Cli.ExitCodes.For(new System.Text.Json.JsonException("x")));
        Assert.Equal((66, false), DDist.Cli.ExitCodes.For(new FileNotFoundException("x")));
        Assert.Equal((74, false), DDist.Cli.ExitCodes.For(new IOException("disk full")));
        Assert.Equal((74, false), DDist.Cli.ExitCodes.For(new UnauthorizedAccessException("x")));
        Assert.Equal((2, false), DDist.Cli.ExitCodes.For(new ArgumentException("unknown dataset")));
        // Thrown by DDist for a value the user gave: usage. Thrown by .NET because DDist misused it: a bug.
        Assert.Equal((2, false), DDist.Cli.ExitCodes.For(Assert.ThrowsAny<ArgumentException>(() => DDist.Data.DatasetRegistry.GetSpec("no-such-dataset"))));
        Assert.Equal((70, true), DDist.Cli.ExitCodes.For(Assert.ThrowsAny<ArgumentException>(() => new Dictionary<int, int> { [1] = 1 }.Add(1, 2))));
        Assert.Equal((70, true), DDist.Cli.ExitCodes.For(Assert.ThrowsAny<NotSupportedException>(() => ((ICollection<int>)Array.Empty<int>()).Add(1))));
        Assert.Equal((2, false), DDist.Cli.ExitCodes.For(new DDist.Cli.CliException("--shard")));
        Assert.Equal((130, false), DDist.Cli.ExitCodes.For(new OperationCanceledException()));
        Assert.Equal((70, true), DDist.Cli.ExitCodes.For(new InvalidOperationException("a bug")));
        Assert.Equal((70, true), DDist.Cli.ExitCodes.For(new NullReferenceException()));
    }

    /// <summary>An --out that cannot be written — under a file, a folder where a file goes, a file where a folder goes —
    /// is an I/O error (74) naming the path as given, before any work (eval used to train every network first).</summary>
    [Fact]
    public void AnOutputThatCannotBeWrittenIsRefusedBeforeAnyWork()
    {
        var file = Path.Combine(_dir, "a-file.json");
        File.WriteAllText(file, "{}");
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "a-folder")).FullName;
        var set = Path.Combine(_dir, "s.safetensors");
        Assert.Equal(0, Run("select", "random", "--dataset", "fashion-mnist", "--ipc", "1", "--out", set).Code);
        var cases = new (string[] Args, string Says)[]
        {
            (["eval", set, "--epochs", "1000", "--out", folder], "it is a folder"),
            (["eval", set, "--epochs", "1000", "--out", Path.Combine(file, "x.json")], "a-file.json is a file, not a folder"),
            (["select", "random", "--dataset", "fashion-mnist", "--ipc", "1", "--out", folder], "it is a folder"),
            (["experts", "--dataset", "fashion-mnist", "--model", "ConvNet(width=8)", "--num", "1", "--epochs", "1", "--out", Path.Combine(file, "exp")], "is a file, not a folder"),
            (["run", DemoRecipe(), "--out", file], "it is a file"),
            (["run", DemoRecipe(), "--out", Path.Combine(file, "run")], "is a file, not a folder"),
        };
        foreach (var (args, says) in cases)
        {
            var r = Run(args);
            Assert.True(r.Code == DDist.Cli.ExitCodes.IoError, $"{string.Join(" ", args)}: exit {r.Code}: {r.Err}");
            Assert.Contains(says, r.Err);
            Assert.Contains($"--out {args[^1]}", r.Err);
        }
        Assert.False(File.Exists(folder + ".json"), "select left a description beside a refused output");
        Assert.Equal("{}", File.ReadAllText(file));
    }

    /// <summary>A recipe of another kind given to a SelMatch/MTT command is refused by its kind, naming the command that
    /// runs it (it was refused by the first field this schema does not know: "field 'kind' is not a field").</summary>
    [Theory]
    [InlineData("mnist-family-cpu.json", "window", "is a comparison recipe")]
    [InlineData("mnist-family-cpu.json", "distill", "is a comparison recipe")]
    [InlineData("mnist-ipc1-dd-cpu.json", "window", "is a DD/SLD recipe")]
    [InlineData("fashion-mnist-ipc10-datm-cpu.json", "window", "is a DATM/TESLA recipe")]
    public void ARecipeOfAnotherKindIsRefusedByItsKind(string recipe, string command, string says)
    {
        var path = Path.Combine(Path.GetDirectoryName(DemoRecipe())!, recipe);
        var r = Run(command, path, "--out", Path.Combine(_dir, "k"));
        Assert.Equal(DDist.Cli.ExitCodes.UsageError, r.Code);
        Assert.Contains(says, r.Err);
        Assert.DoesNotContain("is not a field", r.Err);
        Assert.False(Directory.Exists(Path.Combine(_dir, "k")));
    }

    [Fact]
    public void MissingRecipeAndBadShardAreNamed()
    {
        var missing = Run("run", Path.Combine(_dir, "nope.json"));
        Assert.NotEqual(0, missing.Code);
        Assert.Contains("nope.json", missing.Err);
        var shard = Run("window", DemoRecipe(), "--shard", "2/2", "--out", Path.Combine(_dir, "w"));
        Assert.NotEqual(0, shard.Code);
        Assert.Contains("2/2", shard.Err);
        var method = Run("distill", DemoRecipe(), "--method", "dd", "--out", Path.Combine(_dir, "d"));
        Assert.NotEqual(0, method.Code);
        Assert.Contains("dd", method.Err);
        foreach (var command in new[] { "distill", "run" })
        {
            var unroll = Run(command, DemoRecipe(), "--unroll", "tesly", "--out", Path.Combine(_dir, "u"));
            Assert.NotEqual(0, unroll.Code);
            Assert.Contains("--unroll 'tesly'", unroll.Err);
            Assert.False(Directory.Exists(Path.Combine(_dir, "u", "experts")), "no stage may start on a bad flag");
        }
    }

    [Fact]
    public void AComparisonRecipeRefusesUnrollBeforeAnyWork()
    {
        // Comparisons run under Slurm too (SlurmRunTests); --unroll, which only unrolling methods read, is refused.
        var comparison = Path.Combine(Path.GetDirectoryName(DemoRecipe())!, "mnist-dm-ipc1-small.json");
        var outDir = Path.Combine(_dir, "cmp");
        foreach (var executor in new[] { "local", "slurm" })
        {
            var r = Run("run", comparison, "--unroll", "exact", "--executor", executor, "--out", outDir);
            Assert.Equal(DDist.Cli.ExitCodes.UsageError, r.Code);
            Assert.Contains("--unroll", r.Err);
            Assert.Contains("comparison", r.Err);
        }
        Assert.False(Directory.Exists(outDir), "nothing may run on a refused flag");
    }

    /// <summary>`ddist status` on a local run's folder reads the folder's copy of the recipe, which no longer sits beside
    /// a relative score file, and shows what every process spent on each stage.</summary>
    [Fact]
    public void StatusReadsAFolderWhoseRecipeImportedARelativeScoreFileAndShowsTheTimeSpent()
    {
        File.WriteAllText(Path.Combine(_dir, "scores.csv"), "score\n" + string.Concat(Enumerable.Range(0, 60000).Select(i => $"{i % 97}\n")));
        var recipePath = RecipeWith(r => r["scores"] = new JsonObject { ["kind"] = "forgetting", ["file"] = "scores.csv" });
        var recipe = DDist.Recipes.Recipe.Load(recipePath);
        var outDir = Path.Combine(_dir, "out");
        var state = DDist.Pipeline.RecipeRunner.ClaimFolder(recipe, outDir);
        state.Stages.Add(new DDist.Pipeline.PipelineState.StageTime("experts", 12));
        state.Work.Add(new DDist.Pipeline.PipelineState.WorkTime("experts", 12, "first"));
        state.Work.Add(new DDist.Pipeline.PipelineState.WorkTime("window search", 30, "task 0"));
        state.Work.Add(new DDist.Pipeline.PipelineState.WorkTime("window search", 40, "task 1"));
        state.Save(outDir);

        var status = Run("status", outDir);
        Assert.True(status.Code == 0, status.Err);
        Assert.Contains("time spent (every process): experts 12 s, window search 70 s; total 82 s", status.Out);
        Assert.Matches(@"scores\s+0/1 done", status.Out);
        Assert.DoesNotContain("forgetting", status.Out);   // imported scores: no forgetting runs to train
        var json = JsonNode.Parse(Run("status", outDir, "--json").Out)!;
        Assert.Equal(70, (double)json["spent"]![1]!["seconds"]!);
    }

    /// <summary>README, "Recipes": a folder whose run stopped before making anything (a dataset path typo) takes the
    /// corrected recipe, although the failed attempt left its state (the time it spent); a folder with results takes a
    /// recipe that changes only its description, and refuses one that changes more, naming the field.</summary>
    [Fact]
    public void AFolderWhoseRunMadeNothingTakesTheCorrectedRecipe()
    {
        var outDir = Path.Combine(_dir, "typo");
        var typo = Run("run", RecipeWith(j => j["dataset"] = "folder:/nonexistent-typo"), "--out", outDir);
        Assert.Equal(DDist.Cli.ExitCodes.NoInput, typo.Code);
        Assert.True(File.Exists(Path.Combine(outDir, DDist.Pipeline.PipelineState.FileName)), "the attempt records its time");
        var corrected = Run("run", RecipeWith(j => j["dataset"] = "folder:/nonexistent-corrected"), "--out", outDir);
        Assert.Equal(DDist.Cli.ExitCodes.NoInput, corrected.Code);   // taken: it got as far as reading its dataset
        Assert.DoesNotContain("another recipe", corrected.Err);
        Assert.Contains("nonexistent-corrected", File.ReadAllText(Path.Combine(outDir, "recipe.json")));

        var recipe = DDist.Recipes.Recipe.Load(RecipeWith(j => j["dataset"] = "folder:/nonexistent-corrected"));
        var state = DDist.Pipeline.RecipeRunner.ClaimFolder(recipe, outDir);
        state.Stages.Add(new DDist.Pipeline.PipelineState.StageTime("experts", 1));   // a result from here on
        state.Save(outDir);
        var described = DDist.Pipeline.RecipeRunner.ClaimFolder(recipe with { Description = "described anew" }, outDir);
        Assert.Equal("described anew", (string)described.Recipe!["description"]!);
        Assert.True(described.Done("experts"));
        var e = Assert.Throws<InvalidDataException>(() => DDist.Pipeline.RecipeRunner.ClaimFolder(recipe with { Seed = 5 }, outDir));
        Assert.Contains("'seed' is 0 there, 5 here", e.Message);
    }

    /// <summary>One local run at a time in a folder: a second `ddist run` (or `compare`) into a folder another process is
    /// running in is refused as busy (75) instead of redoing the same work beside it; the lock goes with the process.</summary>
    [Fact]
    public void ASecondLocalRunIntoABusyFolderIsRefused()
    {
        var outDir = Path.Combine(_dir, "busy");
        using (DDist.Pipeline.LocalRunLock.Take(outDir))
        {
            var second = Run("run", DemoRecipe(), "--out", outDir);
            Assert.Equal(DDist.Cli.ExitCodes.TempFail, second.Code);
            Assert.Contains("another ddist process is running in this folder", second.Err);
            Assert.Throws<DDist.Pipeline.Executors.RunFolderBusyException>(() => DDist.Pipeline.LocalRunLock.Take(outDir));
        }
        using (DDist.Pipeline.LocalRunLock.Take(outDir)) { }   // released with its holder
    }

    /// <summary>Window shards started together on a fresh folder: the first makes the experts and scores while the
    /// other waits for it, then both search their β (the second used to fail when the first deleted the checkpoint of
    /// the expert both were training). Two processes, as two machines sharing the folder would be.</summary>
    [RealDataFact("fashion-mnist")]
    public void WindowShardsStartedTogetherMakeTheirInputsOnce()
    {
        File.WriteAllText(Path.Combine(_dir, "scores.csv"), "score\n" + string.Concat(Enumerable.Range(0, 60000).Select(i => $"{i * 7919 % 60000 / 60000.0}\n")));
        var recipe = Path.Combine(_dir, "shards.json");
        File.WriteAllText(recipe, """
        { "name": "shards", "description": "", "source": "test", "dataset": "fashion-mnist", "ipc": 2, "seed": 0,
          "experts": { "model": "ConvNet(width=8)", "count": 1, "epochs": 6, "lr": 0.03, "batchSize": 64, "trainPerClass": 100 },
          "scores": { "kind": "forgetting", "file": "scores.csv" },
          "window": { "betas": [0, 0.5], "offset": "fraction-of-class", "epochs": 1, "nets": 1 },
          "distill": { "alpha": 0.5, "iterations": 2, "synSteps": 2, "expertEpochs": 1, "maxStartEpoch": 2, "batchSyn": 10, "lrInit": 0.03,
                       "validationPerClass": 5, "selectionEpochs": 1, "selectionNets": 1 },
          "evaluation": { "protocol": "sel", "model": "ConvNet(width=8)", "epochs": 1, "nets": 1 }
        }
        """);
        var outDir = Path.Combine(_dir, "sharded");
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var cli = Path.Combine(AppContext.BaseDirectory, "DDist.Cli.dll");
        var shards = Enumerable.Range(0, 2).Select(i => Task.Run(() => Pipeline.Shell.Run(host,
            [cli, "window", recipe, "--out", outDir, "--shard", $"{i}/2", "--threads", "1"], TimeSpan.FromMinutes(4)))).ToArray();
        foreach (var shard in shards) Assert.True(shard.Result.Code == 0, shard.Result.Output);
        Assert.Contains(shards, s => s.Result.Output.Contains("waiting for it to finish what this one needs first"));
        Assert.True(File.Exists(Path.Combine(outDir, "window", "beta-0.json")) && File.Exists(Path.Combine(outDir, "window", "beta-0.5.json")));
        Assert.False(Directory.Exists(Path.Combine(outDir, "experts", ".partial")), "an expert checkpoint was left beside the kept expert");
        Assert.Single(Directory.GetFiles(Path.Combine(outDir, "experts"), "expert_*.safetensors"));
    }

    /// <summary>A recipe may compute learning-speed scores (the C-score's proxy) instead of forgetting scores: the same
    /// training runs, combined into the mean true-label confidence, and the window is cut by it (low = hard). On an
    /// image folder, which recipes used to refuse at the first stage for want of a registered spec.</summary>
    [Fact]
    public void ARecipeOnAnImageFolderCutsItsWindowByComputedLearningSpeedScores()
    {
        using var images = new TempDir();
        var recipe = TinyFolderRecipe(images, "speed", "\"learning-speed\"");
        var outDir = Path.Combine(_dir, "speed");
        var r = Run("run", recipe, "--out", outDir);   // the whole recipe: an image folder has no registered spec
        Assert.True(r.Code == 0, r.Err);
        Assert.True(File.Exists(Path.Combine(outDir, "report.md")));
        var scores = DDist.Selection.DifficultyScores.Load(Path.Combine(outDir, "scores.safetensors"));
        Assert.Equal((DDist.Selection.ScoreKind.LearningSpeed, DDist.Selection.HardEnd.Low), (scores.Kind, scores.Direction));
        Assert.StartsWith("learning speed (mean true-label confidence): 2 runs × 2 epochs", scores.Source);
        Assert.All(scores.Scores, c => Assert.InRange(c, 0.0, 1.0));
        Assert.Equal(2, Directory.GetFiles(Path.Combine(outDir, "forgetting"), "run-*.safetensors").Length);
        Assert.True(File.Exists(Path.Combine(outDir, "window", "beta-0.5.json")));
    }

    /// <summary>A two-class image folder of 36 tiny PNGs each in <paramref name="images"/>, and a recipe on it that trains
    /// for seconds, with the given scores.kind (JSON) and compared rows (JSON; null: the default four), and successive
    /// halving from 1 epoch when <paramref name="halving"/>, and the other architectures <paramref name="cross"/> (JSON) evaluate with.</summary>
    private string TinyFolderRecipe(TempDir images, string name, string scoreKind, string? compare = null, bool halving = false, string? cross = null)
    {
        for (int c = 0; c < 2; c++)
            for (int k = 0; k < 36; k++)
                images.Write($"class{c}/img{k:D2}.png", TestPng.Encode(TestPng.Pattern(8, 8, 1, 40 * c + k), 8, 8, 1));
        var recipe = Path.Combine(_dir, name + ".json");
        File.WriteAllText(recipe, $$"""
        { "name": "{{name}}", "description": "", "source": "test", "dataset": "folder:{{images.Path}}", "ipc": 2, "seed": 0,
          "experts": { "model": "ConvNet(width=4,depth=1)", "count": 1, "epochs": 2, "lr": 0.03, "batchSize": 16 },
          "scores": { "kind": {{scoreKind}}, "runs": 2, "epochs": 2, "batchSize": 16 },
          "window": { "betas": [0, 0.5], "offset": "fraction-of-class", "epochs": 1, "nets": 1{{(halving ? ", \"halvingStartEpochs\": 1" : "")}} },
          "distill": { "alpha": 0.5, "iterations": 2, "synSteps": 2, "expertEpochs": 1, "maxStartEpoch": 1, "batchSyn": 4, "lrInit": 0.03,
                       "validationPerClass": 3, "selectionEpochs": 1, "selectionNets": 1 },
          "evaluation": { "protocol": "sel", "model": "ConvNet(width=4,depth=1)", "epochs": 1, "nets": 1{{(cross is null ? "" : $", \"crossArchitectures\": {cross}")}} }{{(compare is null ? "" : $", \"compare\": {compare}")}}
        }
        """);
        return recipe;
    }

    /// <summary>A recipe with "zca": true works in whitened space through every stage (MTT's --zca): the transform is
    /// fitted once on the whole training set and kept in the folder, the experts record it, every small set (random,
    /// window, MTT, SelMatch) is in that space and carries it, and the report says so. Without the field a recipe spells
    /// out as before, so its folders stay its own; a whitening recipe is another recipe for a folder made without.</summary>
    [Fact]
    public void ARecipeThatWhitensWorksInZcaSpaceThroughEveryStageAndKeepsItsTransform()
    {
        using var images = new TempDir();
        var plainPath = TinyFolderRecipe(images, "whitened", "\"forgetting\"");
        Assert.DoesNotContain("\"zca\"", DDist.Recipes.Recipe.Load(plainPath).ToJson());
        var path = plainPath.Replace(".json", "-on.json");
        File.WriteAllText(path, File.ReadAllText(plainPath).Replace("\"seed\": 0,", "\"seed\": 0, \"zca\": true,"));
        var recipe = DDist.Recipes.Recipe.Load(path);
        Assert.True(recipe.Zca);
        Assert.Contains("\"zca\": true", recipe.ToJson());

        var run = Path.Combine(_dir, "whitened-run");
        var r = Run("run", path, "--out", run);
        Assert.True(r.Code == 0, r.Err);
        var raw = DDist.Data.DatasetRegistry.Load(recipe.Dataset);
        Assert.Contains($"ZCA: fitting on the {raw.Train.Count} training images", r.Out + r.Err);
        using var kept = DDist.Data.ZcaTransform.Load(Path.Combine(run, "zca.safetensors"));
        using (var fitted = DDist.Data.ZcaTransform.Fit(raw.Train))
            Assert.Equal(fitted.Matrix.ToArray<float>(), kept.Matrix.ToArray<float>());
        var expert = Directory.GetFiles(Path.Combine(run, "experts"), "*.json").Single();
        Assert.True(DDist.Training.Experts.ExpertMetadata.Load(expert).Config.Zca);

        using var unit = DDist.Data.ImageDataset.UnitTensor(raw.Train, DDist.Torch.Device.Cpu);
        using var whitened = kept.Apply(unit);
        foreach (var file in new[] { "random.safetensors", "window.safetensors", "mtt/synthetic.safetensors", "selmatch/synthetic.safetensors" })
        {
            using var set = DDist.Artifacts.SmallSet.Load(Path.Combine(run, file));
            Assert.Equal("zca", set.Info.Normalization);
            Assert.NotNull(set.Zca);
            // The real images a set holds are the training images whitened with the kept transform.
            var real = Enumerable.Range(0, set.IsDistilled.Length).Where(i => !set.IsDistilled[i]).ToArray();
            if (real.Length == 0) continue;
            using var scope = new DDist.Torch.TensorScope();
            var held = set.Images.IndexSelect(0, DDist.Torch.Tensors.FromArray(real.Select(i => (long)i).ToArray()));
            var expected = whitened.IndexSelect(0, DDist.Torch.Tensors.FromArray(real.Select(i => set.SourceIndex[i]).ToArray()));
            Assert.Equal(expected.ToArray<float>(), held.ToArray<float>());
        }
        Assert.Contains("ZCA-whitened (ε 0.1, fitted on the whole training set)", File.ReadAllText(Path.Combine(run, "report.md")));
        // A window point trained on whitened images names the space, so it is never read as a normalised one's.
        Assert.EndsWith("|zca", (string)JsonNode.Parse(File.ReadAllText(Path.Combine(run, "window", "beta-0.json")))!["Fingerprint"]!);
        var show = Run("show", Path.Combine(run, "selmatch", "synthetic.safetensors"), "--out", Path.Combine(_dir, "whitened.png"));
        Assert.True(show.Code == 0, show.Err);
        Assert.Contains("ZCA-whitened: drawn through the inverse transform the set carries", show.Out);

        // The same recipe again reads the kept transform rather than fitting another; the plain one is refused there.
        var again = Run("run", path, "--out", run);
        Assert.True(again.Code == 0, again.Err);
        Assert.DoesNotContain("ZCA: fitting", again.Out + again.Err);
        AssertFails(Run("run", plainPath, "--out", run), "zca");
    }

    /// <summary>Every evaluation of a run shows its networks training (epoch, loss, accuracy, rate), as `ddist eval`
    /// does: the window's points and the best-iteration choice say their accuracy is on the validation split ("val"),
    /// the table's rows on the test set. They used to show nothing while their networks trained.</summary>
    [Fact]
    public void EvaluationsShowTheirNetworksProgressNamingWhatTheyAreTestedOn()
    {
        using var images = new TempDir();
        var path = TinyFolderRecipe(images, "progress", "\"forgetting\"", compare: "[\"random\", \"window\"]");
        var r = Run("run", path, "--out", Path.Combine(_dir, "progress"));
        Assert.True(r.Code == 0, r.Err);
        var lines = r.Err.Split('\n');
        int window = Array.FindIndex(lines, l => l.StartsWith("window search ..."));
        int evaluate = Array.FindIndex(lines, l => l.StartsWith("evaluate Random ..."));
        Assert.True(window >= 0 && evaluate > window, r.Err);
        Assert.Contains(lines[window..evaluate], l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\[sel net 1/1\] \d+/\d+ .*ep \d+  loss "));
        Assert.Contains(lines[window..evaluate], l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\[sel networks\] 1/1 \(100 %\)  val \d+\.\d\d %$"));
        Assert.DoesNotContain(lines[window..evaluate], l => l.Contains("] ") && l.Contains("  test "));
        Assert.Matches(@"^\[sel networks\] 1/1 \(100 %\)  test \d+\.\d\d %$", lines[(evaluate + 1)..].First(l => l.StartsWith("[sel networks]")));
    }

    /// <summary>MTT starts from random real images, so its distillation needs the experts alone: `ddist distill --method
    /// mtt` runs no scoring and no window search, and a later `run` of the folder keeps its set and adds the rest.</summary>
    [Fact]
    public void AnMttDistillationNeedsOnlyTheExpertsAndARunKeepsItsSet()
    {
        using var images = new TempDir();
        var path = TinyFolderRecipe(images, "mtt-alone", "\"forgetting\"");
        var recipe = DDist.Recipes.Recipe.Load(path);
        var plan = DDist.Pipeline.Stages.RecipeStages.For(recipe);
        Assert.Equal([DDist.Pipeline.Stages.RecipeStages.Experts], plan.Single(s => s.Name == "distill-mtt").After);
        Assert.Equal([DDist.Pipeline.Stages.RecipeStages.ChooseBeta], plan.Single(s => s.Name == "distill-selmatch").After);

        var run = Path.Combine(_dir, "mtt-alone");
        var mtt = Run("distill", path, "--method", "mtt", "--out", run);
        Assert.True(mtt.Code == 0, mtt.Err);
        Assert.DoesNotContain("window search", mtt.Err);
        Assert.False(Directory.Exists(Path.Combine(run, "forgetting")));
        Assert.False(Directory.Exists(Path.Combine(run, "window")));
        Assert.Contains("choices (best iteration) made on the validation split", mtt.Out);
        var set = Path.Combine(run, "mtt", "synthetic.safetensors");
        var made = File.ReadAllBytes(set);

        var all = Run("run", path, "--out", run);
        Assert.True(all.Code == 0, all.Err);
        Assert.Contains("window search ...", all.Err);
        Assert.DoesNotContain("distill mtt ...", all.Err);
        Assert.Equal(made, File.ReadAllBytes(set));
        Assert.Contains("choices (β, successive halving, best iteration) made on the validation split", all.Out);
    }

    /// <summary>An MTT recipe compares Random and MTT and gives no scores, window or α: its run is experts → MTT →
    /// evaluation → report, scoring and searching nothing, and its report shows MTT's random start beside MTT's set. The
    /// commands that need what it leaves out say which sections are missing, and so does a recipe comparing SelMatch
    /// without them.</summary>
    [Fact]
    public void AnMttRecipeRunsExpertsMttAndTheTableWithoutScoresOrWindow()
    {
        using var images = new TempDir();
        var full = File.ReadAllText(TinyFolderRecipe(images, "mtt-only", "\"forgetting\""));
        var json = JsonNode.Parse(full)!.AsObject();
        json.Remove("scores");
        json.Remove("window");
        json["distill"]!.AsObject().Remove("alpha");
        json["compare"] = new JsonArray("random", "mtt");
        var path = Path.Combine(_dir, "mtt-only.json");
        File.WriteAllText(path, json.ToJsonString());
        var recipe = DDist.Recipes.Recipe.Load(path);
        var spelled = recipe.ToJsonNode();
        foreach (var field in new[] { "scores", "window", "scoreKind", "windowOffset", "windowOverflow", "scoreModel", "splitPerClass" })
            Assert.False(spelled.ContainsKey(field), field);
        Assert.False(spelled["distill"]!.AsObject().ContainsKey("alpha"));
        Assert.Equal(["experts", "distill-mtt", "evaluate", "report"], DDist.Pipeline.Stages.RecipeStages.For(recipe).Select(s => s.Name));

        var run = Path.Combine(_dir, "mtt-only-run");
        var r = Run("run", path, "--out", run);
        Assert.True(r.Code == 0, r.Err);
        Assert.DoesNotContain("window search", r.Err);
        Assert.False(Directory.Exists(Path.Combine(run, "forgetting")));
        Assert.False(Directory.Exists(Path.Combine(run, "window")));
        Assert.Matches(@"\n  Random .*\n  MTT ", r.Out);
        Assert.DoesNotContain("window β", r.Out);
        Assert.Contains("choices (best iteration) made on the validation split", r.Out);
        var report = File.ReadAllText(Path.Combine(run, "report.md"));
        Assert.Contains("MTT: every image distilled", report);
        Assert.DoesNotContain("β", report);
        Assert.True(File.Exists(Path.Combine(run, "random.png")) && File.Exists(Path.Combine(run, "mtt.png")) && File.Exists(Path.Combine(run, "grids.png")));
        // `ddist report` redraws it from the folder alone.
        File.Delete(Path.Combine(run, "report.md"));
        var redraw = Run("report", run);
        Assert.True(redraw.Code == 0, redraw.Err);
        Assert.Equal(report, File.ReadAllText(Path.Combine(run, "report.md")));

        // A distilled set removed is made anew by the next run, and its row evaluated anew (the others' are kept), so the
        // table never shows an earlier set's accuracy beside a new set; the report is redrawn from it.
        string Made() => (string)JsonNode.Parse(File.ReadAllText(Path.Combine(run, "report.json")))!["SetsMade"]!["mtt"]!;
        var madeBefore = Made();
        Directory.Delete(Path.Combine(run, "mtt"), recursive: true);
        var redo = Run("run", path, "--out", run);
        Assert.True(redo.Code == 0, redo.Err);
        Assert.Contains("distill mtt ...", redo.Err);
        Assert.Contains("evaluate MTT ...", redo.Err);
        Assert.DoesNotContain("evaluate Random ...", redo.Err);
        Assert.NotEqual(madeBefore, Made());
        var state = DDist.Pipeline.PipelineState.Load(run);
        Assert.Equal(Made(), state.Rows["mtt"].SetMade);
        Assert.Null(state.Rows["random"].SetMade);
        var reused = Run("run", path, "--out", run);
        Assert.True(reused.Code == 0, reused.Err);
        Assert.Contains("evaluate: done earlier, reusing it", reused.Out + reused.Err);
        Assert.Contains("report: done earlier, reusing it", reused.Out + reused.Err);

        AssertFails(Run("window", path, "--out", run), "`ddist window` needs 'scores' and 'window', which this recipe does not give");
        AssertFails(Run("distill", path, "--method", "selmatch", "--out", run), "SelMatch needs 'scores', 'window' and 'distill.alpha'");
        json["compare"] = new JsonArray("random", "selmatch");
        File.WriteAllText(path, json.ToJsonString());
        var refused = Run("run", path, "--out", Path.Combine(_dir, "refused"));
        AssertFails(refused, "field 'scores' is missing: compare holds 'selmatch'");
        Assert.Contains("field 'window' is missing", refused.Err);
        Assert.Contains("field 'distill.alpha' is missing", refused.Err);

        // The Window-only row needs the scores and the window but no α; its evaluation waits for the chosen β.
        var windowOnly = JsonNode.Parse(full)!.AsObject();
        windowOnly["distill"]!.AsObject().Remove("alpha");
        windowOnly["compare"] = new JsonArray("random", "window");
        File.WriteAllText(path, windowOnly.ToJsonString());
        var plan = DDist.Pipeline.Stages.RecipeStages.For(DDist.Recipes.Recipe.Load(path));
        Assert.Equal(["forgetting", "scores", "window", "choose-beta", "evaluate", "report"], plan.Select(s => s.Name));   // no experts: nothing is distilled
        Assert.Empty(plan.Single(s => s.Name == "forgetting").After);
        Assert.Equal(["choose-beta"], plan.Single(s => s.Name == "evaluate").After);
    }

    /// <summary>`ddist experts --zca` (buffer.py's --zca) trains in whitened space: the transform is fitted once and kept
    /// in the experts folder, the second shard reads it, the experts record it, and plain experts are refused there.</summary>
    [Fact]
    public void ExpertsWithZcaTrainInWhitenedSpaceAndEveryShardReadsTheKeptTransform()
    {
        using var images = new TempDir();
        var dataset = DDist.Recipes.Recipe.Load(TinyFolderRecipe(images, "experts-zca", "\"forgetting\"")).Dataset;
        var dir = Path.Combine(_dir, "experts-zca");
        string[] Args(params string[] more) =>
            ["experts", "--dataset", dataset, "--model", "ConvNet(width=4,depth=1)", "--epochs", "1", "--batch", "16", "--no-test", "--out", dir, .. more];
        var first = Run(Args("--num", "2", "--zca", "--shard", "0/2"));
        Assert.True(first.Code == 0, first.Err);
        Assert.Contains("ZCA: fitting on the ", first.Err);
        Assert.Contains("(ZCA-whitened)", first.Err);
        Assert.True(File.Exists(Path.Combine(dir, "zca.safetensors")));
        var second = Run(Args("--num", "2", "--zca", "--shard", "1/2"));
        Assert.True(second.Code == 0, second.Err);
        Assert.DoesNotContain("ZCA: fitting", second.Err);
        var configs = Directory.GetFiles(dir, "expert_*.json").Select(f => DDist.Training.Experts.ExpertMetadata.Load(f).Config).ToList();
        Assert.Equal(2, configs.Count);
        Assert.All(configs, c => Assert.Equal((true, "zca"), (c.Zca, c.Normalization)));
        var plain = Run(Args("--num", "3"));
        Assert.NotEqual(0, plain.Code);
        Assert.Contains("zca", plain.Err);
    }

    /// <summary>Every process of a whitening run reads the transform the folder keeps, whatever it would fit itself: it
    /// fits only where none is kept.</summary>
    [Fact]
    public void RunDataReadsTheKeptZcaTransformAndFitsOnlyWhereNoneIsKept()
    {
        using var images = new TempDir();
        var recipe = DDist.Recipes.Recipe.Load(TinyFolderRecipe(images, "zca-read", "\"forgetting\""));
        var raw = DDist.Data.DatasetRegistry.Load(recipe.Dataset);
        var path = Path.Combine(_dir, "zca.safetensors");
        using (var other = DDist.Data.ZcaTransform.Fit(raw.Train.Subset(Enumerable.Range(0, 10).Select(i => (long)i).ToArray()), epsilon: 0.5))
            other.Save(path);
        var lines = new List<string>();
        using (var data = DDist.Pipeline.Stages.RunData.Load(recipe.Dataset, zca: true, path, DDist.Torch.Device.Cpu, lines.Add))
        {
            Assert.Equal((0.5, "zca"), (data.Zca!.Epsilon, data.Space));
            Assert.Empty(lines);
        }
        File.Delete(path);
        using (var data = DDist.Pipeline.Stages.RunData.Load(recipe.Dataset, zca: true, path, DDist.Torch.Device.Cpu, lines.Add))
        {
            Assert.Equal(DDist.Data.ZcaTransform.DefaultEpsilon, data.Zca!.Epsilon);
            Assert.Single(lines);
            Assert.True(File.Exists(path));
        }
        // Two processes (here two threads) starting together: one fits, the other waits and reads what it kept.
        File.Delete(path);
        lines.Clear();
        var together = Enumerable.Range(0, 2).Select(_ => Task.Run(() => DDist.Pipeline.Stages.RunData.Load(recipe.Dataset, zca: true, path, DDist.Torch.Device.Cpu, l => { lock (lines) lines.Add(l); }))).ToArray();
        var loaded = together.Select(t => t.Result).ToArray();
        try
        {
            Assert.Single(lines);
            Assert.Equal(loaded[0].Zca!.Matrix.ToArray<float>(), loaded[1].Zca!.Matrix.ToArray<float>());
        }
        finally { foreach (var d in loaded) d.Dispose(); }
        using (var data = DDist.Pipeline.Stages.RunData.Load(recipe.Dataset, zca: false, path, DDist.Torch.Device.Cpu))
            Assert.Equal((null, data.Normalization.Name), (data.Zca, data.Space));
        File.WriteAllBytes(path, [1, 2, 3]);
        var bad = Assert.ThrowsAny<Exception>(() => DDist.Pipeline.Stages.RunData.Load(recipe.Dataset, zca: true, path, DDist.Torch.Device.Cpu));
        Assert.Contains(path, bad.Message);
    }

    /// <summary>A recipe listing two computed score kinds searches the window grid once per kind, from the same runs,
    /// and chooses kind and β together on the validation split: the chosen kind is recorded, cuts the small sets, and
    /// the report shows both grids.</summary>
    [Fact]
    public void ARecipeListingTwoScoreKindsChoosesTheKindWithBeta()
    {
        using var images = new TempDir();
        var recipe = TinyFolderRecipe(images, "kinds", "[\"forgetting\", \"learning-speed\"]", compare: "[\"random\", \"window\"]");
        var outDir = Path.Combine(_dir, "kinds");
        var r = Run("run", recipe, "--out", outDir);
        Assert.True(r.Code == 0, r.Err);

        Assert.False(File.Exists(Path.Combine(outDir, "scores.safetensors")));
        foreach (var kind in new[] { DDist.Selection.ScoreKind.Forgetting, DDist.Selection.ScoreKind.LearningSpeed })
        {
            var scores = DDist.Selection.DifficultyScores.Load(Path.Combine(outDir, $"scores-{DDist.Selection.ScoreKindExtensions.FileName(kind)}.safetensors"));
            Assert.Equal(kind, scores.Kind);
        }
        Assert.Equal(2, Directory.GetFiles(Path.Combine(outDir, "forgetting"), "run-*.safetensors").Length);   // one set of runs serves both
        var window = System.Text.Json.JsonSerializer.Deserialize<DDist.Selection.WindowSearchResult>(
            File.ReadAllText(Path.Combine(outDir, "window", "window.json")))!;
        Assert.Equal(4, window.Points.Count);
        foreach (var kind in new[] { "forgetting", "learning-speed" })
            foreach (var beta in new[] { "0", "0.5" })
                Assert.True(File.Exists(Path.Combine(outDir, "window", kind, $"beta-{beta}.json")), $"{kind} β {beta}");
        var best = window.Points.OrderByDescending(p => p.Mean).ThenBy(p => p.Beta).First();
        Assert.Equal((best.Beta, best.ScoreKind), (window.BestBeta, window.BestScoreKind));

        var state = DDist.Pipeline.PipelineState.Load(outDir);
        Assert.Equal((best.Beta, best.ScoreKind), (state.ChosenBeta, state.ChosenScoreKind));
        using (var set = DDist.Artifacts.SmallSet.Load(Path.Combine(outDir, "window.safetensors")))
            Assert.Equal(best.ScoreKind, set.Info.Parameters["score_kind"]);
        var md = File.ReadAllText(Path.Combine(outDir, "report.md"));
        Assert.Contains("| Scores | β |", md);
        Assert.Contains($"Best β = {best.Beta:0.###} by {best.ScoreKind} scores", md);
        Assert.Matches(@"score kinds searched with β: forgetting and learning-speed: Spearman ρ -?\d\.\d\d within classes \(mean over 2\)", md);
        Assert.Contains($"by {best.ScoreKind} scores", state.Rows["window"].Note);

        // `ddist window` on the finished folder prints the grid by kind, the chosen point marked, and names its plot.
        var grid = Run("window", recipe, "--out", outDir);
        Assert.True(grid.Code == 0, grid.Err);
        Assert.Contains(FormattableString.Invariant($"  {best.ScoreKind,-16}{best.Beta,-6}{100 * best.Mean,6:F2} ± {100 * best.Std:F2}  <- chosen"), grid.Out);
        Assert.Single(grid.Out.Split('\n'), l => l.Contains("<- chosen"));
        Assert.Contains("  random pick", grid.Out);
        Assert.True(File.Exists(Path.Combine(outDir, "window", "window.png")));
        Assert.Contains($"plot: {Path.Combine(outDir, "window", "window.png")}", grid.Out);

        var status = Run("status", outDir);   // one window task per kind and β, and where the window was cut
        Assert.Matches(@"window\s+4/4 done", status.Out);
        Assert.Contains(FormattableString.Invariant($"window at β {best.Beta} by {best.ScoreKind} scores"), status.Out);
    }

    /// <summary>Under a scheduler each window task is one score kind at one β (task t: kind t div |grid|, β t mod |grid|);
    /// a local run then evaluates only what the tasks left and chooses among all of them.</summary>
    [Fact]
    public void ScoreKindWindowTasksEachEvaluateOneKindAndBeta()
    {
        using var images = new TempDir();
        var recipe = DDist.Recipes.Recipe.Load(TinyFolderRecipe(images, "tasks", "[\"forgetting\", \"learning-speed\"]"));
        var run = Path.Combine(_dir, "tasks");
        string Point(string kind, string beta) => Path.Combine(run, "window", kind, $"beta-{beta}.json");
        string[] all = [Point("forgetting", "0"), Point("forgetting", "0.5"), Point("learning-speed", "0"), Point("learning-speed", "0.5")];

        new DDist.Pipeline.RecipeRunner(recipe, run).RunTask(DDist.Pipeline.Stages.RecipeStages.Window, 3);   // its inputs first
        Assert.Equal([false, false, false, true], all.Select(File.Exists));
        new DDist.Pipeline.RecipeRunner(recipe, run).RunTask(DDist.Pipeline.Stages.RecipeStages.Window, 0);
        Assert.Equal([true, false, false, true], all.Select(File.Exists));
        var point = System.Text.Json.JsonSerializer.Deserialize<DDist.Selection.WindowPoint>(File.ReadAllText(all[3]))!;
        Assert.Equal((0.5, "learning-speed"), (point.Beta, point.ScoreKind));
        var written = new[] { all[0], all[3] }.Select(File.GetLastWriteTimeUtc).ToArray();

        var result = new DDist.Pipeline.RecipeRunner(recipe, run, options: new DDist.Pipeline.PipelineOptions { StopAfter = DDist.Pipeline.PipelineStop.Window }).Run();
        Assert.All(all, f => Assert.True(File.Exists(f), f));
        Assert.Equal(written, new[] { all[0], all[3] }.Select(File.GetLastWriteTimeUtc));   // the tasks' points are not evaluated again
        var window = System.Text.Json.JsonSerializer.Deserialize<DDist.Selection.WindowSearchResult>(File.ReadAllText(Path.Combine(run, "window", "window.json")))!;
        Assert.NotNull(result.ScoreKind);
        Assert.Equal((window.BestBeta, window.BestScoreKind), (result.Beta, result.ScoreKind));
    }

    /// <summary>Successive halving beside a list of score kinds halves the (kind, β) pairs: a scheduler task is one pair
    /// (halving/round-R/KIND/beta-B.json), and the summary, pipeline.json and the report name the kind it chose.</summary>
    [Fact]
    public void SuccessiveHalvingOverScoreKindsHalvesKindAndBetaPairs()
    {
        using var images = new TempDir();
        var path = TinyFolderRecipe(images, "halving", "[\"forgetting\", \"learning-speed\"]", compare: "[\"random\", \"window\"]", halving: true);
        var recipe = DDist.Recipes.Recipe.Load(path);
        var run = Path.Combine(_dir, "halving");
        var halvings = DDist.Pipeline.Stages.RecipeStages.For(recipe).Where(s => s.Name.StartsWith("halving-")).ToList();
        Assert.Equal([4, 2], halvings.Select(s => s.Tasks));   // 2 kinds × 2 β, then the better half
        Assert.Equal("surviving candidate 1 of round 2", halvings[1].TaskName(1));

        new DDist.Pipeline.RecipeRunner(recipe, run).RunTask(DDist.Pipeline.Stages.RecipeStages.Halving(1), 2);   // its inputs first
        string RoundOne(string kind, string beta) => Path.Combine(run, "halving", "round-1", kind, $"beta-{beta}.json");
        Assert.Equal([false, false, true, false],
            new[] { RoundOne("forgetting", "0"), RoundOne("forgetting", "0.5"), RoundOne("learning-speed", "0"), RoundOne("learning-speed", "0.5") }.Select(File.Exists));

        var r = Run("run", path, "--out", run);
        Assert.True(r.Code == 0, r.Err);
        var halving = DDist.Pipeline.PipelineState.Load(run).Halving!;
        Assert.Equal([4, 2], halving.Rounds.Select(x => x.Points.Count));
        Assert.Equal(["forgetting", "forgetting", "learning-speed", "learning-speed"], halving.Rounds[0].Points.Select(p => p.ScoreKind));
        Assert.Equal((halving.Rounds[^1].Kept[0], halving.Rounds[^1].KeptScoreKinds![0]), (halving.BestBeta, halving.BestScoreKind));
        var window = DDist.Selection.WindowSearch.LoadSummary(Path.Combine(run, "window"))!;
        Assert.Equal((window.BestBeta, window.BestScoreKind), (halving.FullGridBestBeta, halving.FullGridBestScoreKind));
        Assert.Equal((halving.BestBeta, halving.BestScoreKind) == (window.BestBeta, window.BestScoreKind), halving.SameAsFullGrid);
        var md = File.ReadAllText(Path.Combine(run, "report.md"));
        Assert.Contains(FormattableString.Invariant($"Successive halving chose β = {halving.BestBeta:0.###} by {halving.BestScoreKind} scores for "), md);
        Assert.Contains("| Round | Epochs | Score kind and β evaluated | Kept |", md);
        Assert.Contains(halving.Summary(), r.Out + r.Err);   // logged when β is chosen
        Assert.Contains(halving.Summary(), Run("window", path, "--out", run).Out);   // and printed under the grid
    }

    /// <summary>evaluation.crossArchitectures evaluates every compared row again with each listed model (same sets,
    /// protocol and seeds): one task per model, row and network, kept in eval-arch/MODEL/ROW/, tabled by model in
    /// pipeline.json, the report and the printed result.</summary>
    [Fact]
    public void CrossArchitecturesEvaluateEveryRowWithEachListedModel()
    {
        using var images = new TempDir();
        var path = TinyFolderRecipe(images, "cross", "\"forgetting\"", compare: "[\"random\", \"window\"]", cross: "[\"MLP\", \"ConvNet(width=8,depth=1)\"]");
        var recipe = DDist.Recipes.Recipe.Load(path);
        var run = Path.Combine(_dir, "cross");
        var plan = DDist.Pipeline.Stages.RecipeStages.For(recipe);
        var cross = plan.Single(s => s.Name == DDist.Pipeline.Stages.RecipeStages.CrossArchitecture);
        Assert.Equal(2 * 2 * 1, cross.Tasks);
        Assert.Equal("network 0 of row window on ConvNet(width=8,depth=1)", cross.TaskName(3));
        Assert.Equal([DDist.Pipeline.Stages.RecipeStages.CrossArchitecture], plan[^1].After);   // the report waits for it

        new DDist.Pipeline.RecipeRunner(recipe, run).RunTask(DDist.Pipeline.Stages.RecipeStages.CrossArchitecture, 1);   // its inputs first
        var mlpWindow = Path.Combine(run, "eval-arch", "MLP", "window", "net-0.json");
        Assert.True(File.Exists(mlpWindow));
        Assert.False(File.Exists(Path.Combine(run, "eval-arch", "MLP", "random", "net-0.json")));
        var written = File.GetLastWriteTimeUtc(mlpWindow);

        var r = Run("run", path, "--out", run);
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(written, File.GetLastWriteTimeUtc(mlpWindow));   // the task's network is read, not trained again
        var state = DDist.Pipeline.PipelineState.Load(run);
        Assert.Equal(["ConvNet(width=8,depth=1)", "MLP"], state.CrossArchitectureRows.Keys.Order());
        foreach (var rows in state.CrossArchitectureRows.Values)
        {
            Assert.Equal(["random", "window"], rows.Keys.Order());
            Assert.All(rows.Values, row => Assert.InRange(row.Mean, 0.0, 1.0));
        }
        // Other networks train the same sets: their accuracies are their own, not copies of the evaluation's.
        Assert.Equal(("MLP", recipe.ToEvalProtocol().Epochs), (recipe.ToEvalProtocol("MLP").Model, recipe.ToEvalProtocol("MLP").Epochs));
        Assert.Contains(state.CrossArchitectureRows.Values.SelectMany(rows => rows), kv => kv.Value.Mean != state.Rows[kv.Key].Mean);
        var md = File.ReadAllText(Path.Combine(run, "report.md"));
        Assert.Contains("## Across architectures", md);
        Assert.Contains("| Method | ConvNet(width=4,depth=1) | MLP | ConvNet(width=8,depth=1) |", md);
        Assert.Contains("(architectures.png)", md);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(run, "architectures.png"))[..4]);
        Assert.Contains(FormattableString.Invariant($"| Window only | {100 * state.Rows["window"].Mean:F2} ± {100 * state.Rows["window"].Std:F2} | {100 * state.CrossArchitectureRows["MLP"]["window"].Mean:F2} ± "), md);
        Assert.Contains("across architectures (same sets, protocol and seeds)", r.Out);
        var status = Run("status", run).Out;
        Assert.Matches(@"cross-architecture\s+4/4 done", status);
        var counts = System.Text.RegularExpressions.Regex.Matches(status, @"(?m)^  \S+ +(?=\d+/\d+ done)").Select(m => m.Length).Distinct();
        Assert.Single(counts);   // the counts line up under the longest unit name

        // A finished folder takes another list: only the new architecture's networks train, and the report is redrawn with it.
        // Any other change to the evaluation is still another recipe.
        var more = path.Replace(".json", "-more.json");
        File.WriteAllText(more, File.ReadAllText(path).Replace("\"MLP\", ", "\"MLP\", \"ConvNet(width=4,depth=2)\", "));
        var again = Run("run", more, "--out", run);
        Assert.True(again.Code == 0, again.Err);
        Assert.Equal(written, File.GetLastWriteTimeUtc(mlpWindow));
        Assert.True(File.Exists(Path.Combine(run, "eval-arch", "ConvNet(width=4,depth=2)", "random", "net-0.json")));
        Assert.Contains("| Method | ConvNet(width=4,depth=1) | MLP | ConvNet(width=4,depth=2) | ConvNet(width=8,depth=1) |",
                        File.ReadAllText(Path.Combine(run, "report.md")));
        Assert.DoesNotContain("A column named with a step size", File.ReadAllText(Path.Combine(run, "report.md")));
        var epochs = path.Replace(".json", "-epochs.json");
        File.WriteAllText(epochs, File.ReadAllText(path).Replace("\"epochs\": 1, \"nets\": 1, \"crossArch", "\"epochs\": 2, \"nets\": 1, \"crossArch"));
        AssertFails(Run("run", epochs, "--out", run), "'evaluation.epochs' is 1 there, 2 here");

        // A fixed step size for the other architectures: evaluated again under MODEL@lrX, the earlier results left where
        // they are, the report's columns named with it; the evaluation's own model keeps its protocol.
        var fixedLr = path.Replace(".json", "-lr.json");
        File.WriteAllText(fixedLr, File.ReadAllText(path).Replace("\"crossArchitectures\": [\"MLP\", ", "\"crossArchitectureLr\": 0.002, \"crossArchitectures\": [\"MLP\", "));
        var withLr = DDist.Recipes.Recipe.Load(fixedLr);
        Assert.Equal((0.002, false), (withLr.ToEvalProtocol("MLP").LearningRate, withLr.ToEvalProtocol("MLP").UseLearnedLr));
        Assert.Equal(recipe.ToEvalProtocol().LearningRate, withLr.ToEvalProtocol().LearningRate);
        var atLr = Run("run", fixedLr, "--out", run);
        Assert.True(atLr.Code == 0, atLr.Err);
        Assert.Equal(written, File.GetLastWriteTimeUtc(mlpWindow));
        Assert.True(File.Exists(Path.Combine(run, "eval-arch", "MLP@lr0.002", "window", "net-0.json")));
        state = DDist.Pipeline.PipelineState.Load(run);
        Assert.Contains("MLP", state.CrossArchitectureRows.Keys);
        Assert.NotEqual(state.CrossArchitectureRows["MLP"]["window"].Accuracies, state.CrossArchitectureRows["MLP@lr0.002"]["window"].Accuracies);
        Assert.Contains("| Method | ConvNet(width=4,depth=1) | MLP (lr 0.002) | ConvNet(width=8,depth=1) (lr 0.002) |", File.ReadAllText(Path.Combine(run, "report.md")));
        Assert.Contains("MLP (lr 0.002)", atLr.Out);

        // One step size per architecture: MLP at 0.002, the other at the evaluation's own. Both were evaluated above
        // under those keys, so nothing trains again; the report is redrawn with the columns named accordingly.
        var perModel = path.Replace(".json", "-lr-map.json");
        File.WriteAllText(perModel, File.ReadAllText(path).Replace("\"crossArchitectures\": [\"MLP\", ", "\"crossArchitectureLr\": {\"MLP\": 0.002}, \"crossArchitectures\": [\"MLP\", "));
        var before = Directory.GetFiles(Path.Combine(run, "eval-arch"), "*", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        var mapped = Run("run", perModel, "--out", run);
        Assert.True(mapped.Code == 0, mapped.Err);
        Assert.Equal(before, Directory.GetFiles(Path.Combine(run, "eval-arch"), "*", SearchOption.AllDirectories).ToDictionary(f => f, File.GetLastWriteTimeUtc));
        Assert.Contains("| Method | ConvNet(width=4,depth=1) | MLP (lr 0.002) | ConvNet(width=8,depth=1) |", File.ReadAllText(Path.Combine(run, "report.md")));
        Assert.Contains("across architectures: MLP (lr 0.002), ConvNet(width=8,depth=1))", File.ReadAllText(Path.Combine(run, "report.md")));
        Assert.Contains("A column named with a step size trained at that step size", File.ReadAllText(Path.Combine(run, "report.md")));
    }

    /// <summary>--ipc is the same override on run, window and distill (window alone had it, so a folder it started could
    /// not be continued by the others); out of range it is a usage error, and where it cannot apply it is refused.
    /// --seed, which a recipe's own seed overrules, is refused beside one.</summary>
    [Fact]
    public void IpcOverridesTheRecipeAlikeOnRunWindowAndDistill()
    {
        var outDir = Path.Combine(_dir, "ipc");
        foreach (var command in new[] { "run", "window", "distill" })
            AssertFails(Run(command, DemoRecipe(), "--ipc", "0", "--out", outDir), "--ipc 0: must be at least 1");
        Assert.Contains("'ipc'", Run("distill", DemoRecipe(), "--ipc", "7000", "--out", outDir).Err);
        AssertFails(Run("distill", DemoRecipe(), "--method", "dd", "--ipc", "3", "--out", outDir), "--ipc: for --method dd");
        AssertFails(Run("run", DemoRecipe(), "--ipc", "3", "--executor", "slurm", "--out", outDir), "--ipc with --executor slurm");
        var comparison = Path.Combine(Path.GetDirectoryName(DemoRecipe())!, "mnist-family-cpu.json");
        AssertFails(Run("run", comparison, "--ipc", "3", "--out", outDir), "is not a SelMatch/MTT recipe");
        Assert.False(Directory.Exists(outDir), "nothing may run on a refused flag");

        // --seed beside a recipe was silently ignored (the recipe's seed rules); it is refused, naming the field.
        foreach (var command in new[] { "run", "window", "distill" })
            AssertFails(Run(command, DemoRecipe(), "--seed", "5", "--out", outDir), "--seed: ", "field 'seed'");
        AssertFails(Run("compare", comparison, "--seed", "5", "--out", outDir), "field 'seed'");
        Assert.False(Directory.Exists(outDir), "nothing may run on a refused flag");
    }

    /// <summary>A syntax error is placed by line and column counted from 1, as every other recipe error is (the JSON
    /// reader's own suffix counts from 0 and is left out); `ddist status` on a missing folder is a missing input.</summary>
    [Fact]
    public void ARecipeSyntaxErrorIsPlacedFromOneAndAMissingFolderIsAMissingInput()
    {
        var path = Path.Combine(_dir, "broken.json");
        File.WriteAllText(path, "{\n  \"name\": \"x\",\n  \"ipc\": 2,,\n}\n");
        var r = Run("run", path, "--out", Path.Combine(_dir, "out"));
        Assert.Equal(DDist.Cli.ExitCodes.DataError, r.Code);
        Assert.Contains("(line 3, column 12)", r.Err);   // the second comma
        Assert.DoesNotContain("LineNumber", r.Err);

        AssertFails(Run("status", Path.Combine(_dir, "nowhere")), "nowhere: no such run folder");
        Assert.Equal(DDist.Cli.ExitCodes.NoInput, Run("status", Path.Combine(_dir, "nowhere")).Code);
        Assert.Equal(DDist.Cli.ExitCodes.NoInput, Run("status", path).Code);
    }

    [Fact]
    public void ReportOnAFolderThatIsNoRunIsAnError()
    {
        var r = Run("report", _dir);
        Assert.NotEqual(0, r.Code);
        Assert.Contains("pipeline.json", r.Err);
    }

    [Fact]
    public void ShowDrawsASmallSetAsPng()
    {
        var set = Path.Combine(_dir, "s.safetensors");
        Assert.Equal(0, Run("select", "random", "--dataset", "fashion-mnist", "--ipc", "3", "--out", set).Code);
        var png = Path.Combine(_dir, "grid.png");
        var r = Run("show", set, "--out", png);
        Assert.Equal(0, r.Code);
        var (pixels, h, w) = DDist.Torch.ImageCodec.Decode(File.ReadAllBytes(png), 3);
        Assert.True(h > 10 * 28 && w > 3 * 28, $"grid {w}×{h} too small for 10 rows of 3 images");
        Assert.Contains(pixels, p => p < 128);   // not blank
        Assert.True(w < 5 * 28 * 2, $"grid {w}×{h}: as wide as 10 images where the set has 3 per class");
        AssertFails(Run("show", set, "--out", Path.Combine(_dir, "grid.jpg")), "show writes a PNG");
        // --protocol steps trains exactly a set's learned steps: a training option beside it would be silently ignored.
        AssertFails(Run("eval", set, "--protocol", "steps", "--epochs", "5"), "--epochs: --protocol steps trains exactly the set's learned steps");
        Assert.False(File.Exists(Path.Combine(_dir, "grid.jpg")));
    }
}
