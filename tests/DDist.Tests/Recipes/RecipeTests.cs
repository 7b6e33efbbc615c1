using DDist.Distillation;
using DDist.Recipes;
using DDist.Selection;

namespace DDist.Tests.Recipes;

public class RecipeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddist-recipe-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string RecipesDir()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "DDist.slnx"))) return Path.Combine(d.FullName, "recipes");
        throw new DirectoryNotFoundException("repository root (DDist.slnx) not found above " + AppContext.BaseDirectory);
    }

    private static Recipe Demo() => Recipe.Load(Path.Combine(RecipesDir(), "fashion-mnist-ipc300-demo.json"));

    [Fact]
    public void EveryShippedRecipeValidates()
    {
        Environment.SetEnvironmentVariable(Recipe.ScoresEnvironmentVariable, "/work/shared/scores");
        var files = Directory.GetFiles(RecipesDir(), "*.json");
        Assert.True(files.Length >= 14, $"{files.Length} recipes");
        foreach (var f in files)
        {
            if (ComparisonRecipe.IsComparison(f)) { Assert.Equal(Path.GetFileNameWithoutExtension(f), ComparisonRecipe.Load(f).Name); continue; }
            if (RecipeKinds.Of(f) != RecipeKind.Pipeline) continue;      // DD/SLD and DATM/TESLA recipes: UnrolledRecipeTests
            var r = Recipe.Load(f);
            Assert.Equal(Path.GetFileNameWithoutExtension(f), r.Name);
        }
    }

    [Fact]
    public void PublishedSettingMapsToStageOptions()
    {
        Environment.SetEnvironmentVariable(Recipe.ScoresEnvironmentVariable, "/work/shared/scores");
        var r = Recipe.Load(Path.Combine(RecipesDir(), "cifar10-ipc250-selmatch.json"));
        Assert.Equal((150, 100), r.SplitPerClass);
        Assert.Equal([ScoreKind.CScore], r.ScoreKinds);
        Assert.EndsWith("cscores_CIFAR10.npz", r.ResolveScoreFile());
        var tm = r.ToTrajectoryMatchingOptions("out");
        Assert.Equal((10000, 55, 2, 80, 125, 1000.0, 1e-5, 0.001), (tm.Iterations, tm.SynSteps, tm.ExpertEpochs, tm.MaxStartEpoch, tm.BatchSyn!.Value, tm.LrImg, tm.LrLr, tm.LrInit));
        Assert.Equal(SelectOn.Test, tm.SelectOn);
        var w = r.ToWindowSearchOptions("out", "cifar10");
        Assert.Equal(10, w.Betas.Count);
        Assert.Equal(WindowOffset.FractionOfIpc, w.Offset);
        var p = r.ToEvalProtocol();
        Assert.Equal(("ResNet18BN", 1000, 5, 0.1, 128), (p.Model, p.Epochs, p.Networks, p.LearningRate, p.BatchSize));
        var e = r.ToExpertOptions();
        Assert.Equal(("ConvNetBN", 100, 100), (e.Model, e.NumExperts, e.Epochs));
    }

    /// <summary>SelMatch's per-setting table (scripts/distill, scripts/eval, scripts/sliding_window): dataset, IPC,
    /// score, α, β, cpc = ⌊IPC·α⌋, spc, ths = ⌊IPC·β⌋, epoch_eval_train (also the window's epochs), the last β of the
    /// grid (⌊(1 − ratio)·10⌋/10), lr_img, syn_steps, expert and evaluation models.</summary>
    [Theory]
    [InlineData("cifar10-ipc250-selmatch", "cifar10", 250, "cscore", "cscores_CIFAR10.npz", 0.6, 0.5, 150, 100, 125, 1000, 0.9, 1000.0, 55, "ConvNetBN", "ResNet18BN")]
    [InlineData("cifar10-ipc500-selmatch", "cifar10", 500, "cscore", "cscores_CIFAR10.npz", 0.2, 0.3, 100, 400, 150, 500, 0.9, 1000.0, 55, "ConvNetBN", "ResNet18BN")]
    [InlineData("cifar10-ipc1000-selmatch", "cifar10", 1000, "cscore", "cscores_CIFAR10.npz", 0.1, 0.2, 100, 900, 200, 250, 0.8, 10000.0, 55, "ConvNetBN", "ResNet18BN")]
    [InlineData("cifar10-ipc1500-selmatch", "cifar10", 1500, "cscore", "cscores_CIFAR10.npz", 0.1, 0.2, 150, 1350, 300, 167, 0.7, 10000.0, 55, "ConvNetBN", "ResNet18BN")]
    [InlineData("cifar100-ipc25-selmatch", "cifar100", 25, "cscore", "cscores_CIFAR100.npz", 0.8, 0.8, 20, 5, 20, 1000, 0.9, 1000.0, 55, "ConvNetBN", "ResNet18BN")]
    [InlineData("cifar100-ipc50-selmatch", "cifar100", 50, "cscore", "cscores_CIFAR100.npz", 0.6, 0.7, 30, 20, 35, 500, 0.9, 1000.0, 55, "ConvNetBN", "ResNet18BN")]
    [InlineData("cifar100-ipc100-selmatch", "cifar100", 100, "cscore", "cscores_CIFAR100.npz", 0.3, 0.6, 30, 70, 60, 250, 0.8, 1000.0, 55, "ConvNetBN", "ResNet18BN")]
    [InlineData("cifar100-ipc150-selmatch", "cifar100", 150, "cscore", "cscores_CIFAR100.npz", 0.2, 0.4, 30, 120, 60, 167, 0.7, 1000.0, 55, "ConvNetBN", "ResNet18BN")]
    [InlineData("tiny-imagenet-ipc50-selmatch", "tiny-imagenet", 50, "forgetting", "forgetting_Tiny.npy", 0.6, 0.8, 30, 20, 40, 500, 0.9, 1000.0, 20, "ConvNetD4BN", "ResNet18BN_Tiny")]
    [InlineData("tiny-imagenet-ipc100-selmatch", "tiny-imagenet", 100, "forgetting", "forgetting_Tiny.npy", 0.5, 0.7, 50, 50, 70, 250, 0.8, 1000.0, 20, "ConvNetD4BN", "ResNet18BN_Tiny")]
    public void PublishedRecipeIsSelMatchsSettingFieldByField(string name, string dataset, int ipc, string score, string scoreFile,
        double alpha, double beta, int cpc, int spc, int ths, int evalEpochs, double lastBeta, double lrImg, int synSteps,
        string expertModel, string evalModel)
    {
        // Read without Recipe.Load so the check does not need the published score files; everything else must validate.
        var r = System.Text.Json.JsonSerializer.Deserialize<Recipe>(File.ReadAllText(Path.Combine(RecipesDir(), name + ".json")), Recipe.Json)!;
        Assert.DoesNotContain(RecipeValidation.Check(r), e => !e.Contains("'scores.file'"));
        Assert.Equal((name, dataset, ipc), (r.Name, r.Dataset, r.Ipc));
        Assert.Equal((score, scoreFile), (r.Scores!.Kind.Single(), r.Scores.File));
        Assert.Equal((cpc, spc), r.SplitPerClass);
        Assert.Equal((alpha, (double?)beta), (r.Distill.DistilledFraction, r.Distill.Beta));
        Assert.Equal(ths, WindowOffsetMath.Start(r.WindowOffset, beta, ipc, classSize: 5000));
        Assert.Equal(FrozenPart.Harder, r.FrozenPart);

        // Experts (buffer.py as the scripts call it): BN model, 100 experts × 100 epochs, plain SGD 0.01, batch 256, no augmentation.
        var e = r.ToExpertOptions();
        Assert.Equal((expertModel, 100, 100, 0.01, 0.0, 0.0, 256, DDist.Augment.AugMode.None),
                     (e.Model, e.NumExperts, e.Epochs, e.LearningRate, e.Momentum, e.WeightDecay, e.BatchSize, e.Augmentation));
        Assert.Null(r.Experts.TrainPerClass);

        // Sliding window (scripts/sliding_window): grid 0, 0.1, … up to ⌊(1 − ratio)·10⌋/10, offset ⌊IPC·β⌋, epochs as the evaluation, 5 nets, DSA.
        var w = r.ToWindowSearchOptions("out", dataset);
        Assert.Equal(Enumerable.Range(0, (int)Math.Round(lastBeta * 10) + 1).Select(i => i / 10.0), w.Betas);
        Assert.Equal((WindowOffset.FractionOfIpc, WindowOverflow.Reject, evalEpochs, 5), (w.Offset, w.Overflow, w.Budget.Epochs, w.Budget.Nets));
        var wp = r.ToWindowProtocol();
        Assert.Equal((evalModel, DDist.Augment.AugMode.Dsa, 0.1, 128), (wp.Model, wp.Augmentation, wp.LearningRate, wp.BatchSize));
        Assert.Equal(DDist.Training.LrScheduleKind.Cosine, wp.Schedule);

        // Distillation (SEL defaults + the script's overrides).
        var tm = r.ToTrajectoryMatchingOptions("out");
        Assert.Equal((10000, synSteps, 2, 80, 125, lrImg, 1e-5, 0.001),
                     (tm.Iterations, tm.SynSteps, tm.ExpertEpochs, tm.MaxStartEpoch, tm.BatchSyn!.Value, tm.LrImg, tm.LrLr, tm.LrInit));
        Assert.True(r.Distill.Dsa);
        Assert.Equal("color_crop_cutout_flip_scale_rotate", r.DsaStrategy);
        Assert.Equal([0, 500, 1000, 2500, 5000, 7500, 10000], tm.EvalIterations);
        // The reference chooses images_best (and β) on the test set; the recipe says so.
        Assert.Equal(SelectOn.Test, tm.SelectOn);
        Assert.Equal(SelectionLabels.Test, w.EvaluatedOn);

        // Evaluation (SEL evaluate_synset): model_eval, lr 0.1 cosine, batch 128, combined augmentation, 5 nets,
        // epoch_eval_train; not the learned step size.
        var p = r.ToEvalProtocol();
        Assert.Equal(("sel", evalModel, evalEpochs, 5, 0.1, 128, DDist.Augment.AugMode.Combined, false),
                     (p.Name, p.Model, p.Epochs, p.Networks, p.LearningRate, p.BatchSize, p.Augmentation, p.UseLearnedLr));
        Assert.Equal((0.9, 5e-4, DDist.Training.LrScheduleKind.Cosine), (p.Momentum, p.WeightDecay, p.Schedule));
        Assert.True(p.AugmentOptions.SimpleFlip);
    }

    [Fact]
    public void TenPublishedRecipesShip() =>
        Assert.Equal(10, Directory.GetFiles(RecipesDir(), "*-selmatch.json").Length);

    [Theory]
    [InlineData("mnist-ipc300-cpu.json")]
    [InlineData("mnist-ipc600-cpu.json")]
    public void DigitRecipesNeverFlip(string file)
    {
        var r = Recipe.Load(Path.Combine(RecipesDir(), file));
        foreach (var p in new[] { r.ToEvalProtocol(), r.ToWindowProtocol() })
        {
            Assert.False(p.AugmentOptions.SimpleFlip);
            Assert.DoesNotContain("flip", p.AugmentOptions.DsaStrategy);
        }
        Assert.DoesNotContain("flip", r.DsaStrategy);
        Assert.DoesNotContain("flip", r.ToExpertOptions().DsaStrategy);
        var flipping = WriteVariant(t => t.Replace("\"dsa\": true,", "\"dsa\": true, \"dsaStrategy\": \"crop_flip\",")
                                          .Replace("\"dataset\": \"fashion-mnist\"", "\"dataset\": \"mnist\""));
        var ex = Assert.Throws<RecipeException>(() => Recipe.Load(flipping));
        Assert.Contains("'distill.dsaStrategy'", ex.Message);
        Assert.Contains("mirrored", ex.Message);
    }

    [Fact]
    public void EvaluationOverridesAndMttProtocolFollowTheLearnedStepSize()
    {
        var mtt = WriteVariant(t => t.Replace("\"protocol\": \"sel\"", "\"protocol\": \"mtt\""));
        Assert.True(Recipe.Load(mtt).ToEvalProtocol().UseLearnedLr);
        var fixedLr = WriteVariant(t => t.Replace("\"protocol\": \"sel\"", "\"protocol\": \"mtt\", \"lr\": 0.02"));
        var p = Recipe.Load(fixedLr).ToEvalProtocol();
        Assert.Equal((false, 0.02), (p.UseLearnedLr, p.LearningRate));
    }

    private string WriteVariant(Func<string, string> edit)
    {
        var text = edit(File.ReadAllText(Path.Combine(RecipesDir(), "fashion-mnist-ipc300-demo.json")));
        var path = Path.Combine(_dir, "variant.json");
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("\"model\": \"ConvNetW32\",\n    \"count\"", "\"model\": \"ConvNetW33x\",\n    \"count\"", "experts.model", "ConvNetW33x")]
    [InlineData("\"alpha\": 0.6", "\"alpha\": 1.5", "distill.alpha", "1.5")]
    [InlineData("\"ipc\": 300", "\"ipc\": 6001", "ipc", "smallest class")]
    [InlineData("\"offset\": \"fraction-of-class\"", "\"offset\": \"middle\"", "window.offset", "middle")]
    [InlineData("\"maxStartEpoch\": 3", "\"maxStartEpoch\": 9", "distill.maxStartEpoch", "experts.epochs is 6")]
    [InlineData("\"lr\": 0.03,\n    \"momentum\": 0,", "\"lr\": 0.03,\n    \"momentum\": -0.5,", "experts.momentum", "-0.5")]
    [InlineData("\"lr\": 0.03,\n    \"momentum\": 0,", "\"lr\": 0.03, \"gsam\": {\"rho\": 0, \"alpha\": 0.3},\n    \"momentum\": 0,", "experts.gsam.rho", "is 0, expected > 0")]
    [InlineData("\"lr\": 0.03,\n    \"momentum\": 0,", "\"lr\": 0.03, \"gsam\": {\"rho\": 0.01, \"alpha\": -1},\n    \"momentum\": 0,", "experts.gsam.alpha", "is -1, expected ≥ 0")]
    [InlineData("\"momentum\": 0.9,\n    \"weightDecay\": 0.0005", "\"momentum\": 0.9,\n    \"weightDecay\": -1", "scores.weightDecay", "-1")]
    [InlineData("\"kind\": \"forgetting\"", "\"kind\": \"cscore\"", "scores.kind", "C-scores need thousands of trainings")]
    [InlineData("\"kind\": \"forgetting\"", "\"kind\": \"speed\"", "scores.kind", "'learning-speed'")]
    [InlineData("\"kind\": \"forgetting\"", "\"kind\": [\"forgetting\", \"cscore\"]", "scores.kind", "C-scores need thousands of trainings")]
    [InlineData("\"kind\": \"forgetting\"", "\"kind\": [\"forgetting\", \"speed\"]", "scores.kind[1]", "'speed'")]
    [InlineData("\"kind\": \"forgetting\"", "\"kind\": [\"forgetting\", \"forgetting\"]", "scores.kind", "'forgetting' 2 times")]
    [InlineData("\"kind\": \"forgetting\"", "\"kind\": []", "scores.kind", "empty list")]
    [InlineData("\"protocol\": \"sel\"", "\"protocol\": \"sel\", \"crossArchitectures\": [\"ConvNetW32\"]", "evaluation.crossArchitectures[0]", "the evaluation's own model")]
    [InlineData("\"protocol\": \"sel\"", "\"protocol\": \"sel\", \"crossArchitectures\": [\"MLP\", \"NoSuchNet\"]", "evaluation.crossArchitectures[1]", "NoSuchNet")]
    [InlineData("\"protocol\": \"sel\"", "\"protocol\": \"sel\", \"crossArchitectures\": [\"MLP\", \"MLP\"]", "evaluation.crossArchitectures", "'MLP' 2 times")]
    [InlineData("\"protocol\": \"sel\"", "\"protocol\": \"sel\", \"crossArchitectures\": []", "evaluation.crossArchitectures", "empty list")]
    [InlineData("\"protocol\": \"sel\"", "\"protocol\": \"sel\", \"crossArchitectureLr\": 0.01", "evaluation.crossArchitectureLr", "lists no architecture")]
    [InlineData("\"protocol\": \"sel\"", "\"protocol\": \"sel\", \"crossArchitectures\": [\"MLP\"], \"crossArchitectureLr\": 0", "evaluation.crossArchitectureLr", "is 0, expected a number > 0")]
    [InlineData("\"protocol\": \"sel\"", "\"protocol\": \"sel\", \"crossArchitectures\": [\"MLP\"], \"crossArchitectureLr\": {\"AlexNet\": 0.01}", "evaluation.crossArchitectureLr.AlexNet", "which field 'crossArchitectures' does not list")]
    [InlineData("\"protocol\": \"sel\"", "\"protocol\": \"sel\", \"crossArchitectures\": [\"MLP\"], \"crossArchitectureLr\": {\"MLP\": -1}", "evaluation.crossArchitectureLr.MLP", "is -1, expected a number > 0")]
    [InlineData("\"protocol\": \"sel\"", "\"protocol\": \"sel\", \"crossArchitectures\": [\"MLP\"], \"crossArchitectureLr\": {\"MLP\": 0.1, \"MLP\": 0.2}", "evaluation.crossArchitectureLr", "names 'MLP' 2 times")]
    [InlineData("\"protocol\": \"sel\"", "\"protocol\": \"sel\", \"crossArchitectures\": [\"MLP\"], \"crossArchitectureLr\": {}", "evaluation.crossArchitectureLr", "empty object")]
    [InlineData("\"selectOn\": \"validation\"", "\"selectOn\": \"val\"", "distill.selectOn", "val")]
    [InlineData("\"selectOn\": \"validation\"", "\"selectOn\": \"validation\", \"emaDecay\": 1", "distill.emaDecay", "is 1, expected a decay in (0, 1)")]
    [InlineData("\"selectOn\": \"validation\"", "\"selectOn\": \"validation\", \"unroll\": \"tesly\"", "distill.unroll", "tesly")]
    [InlineData("\"compare\": [\n    \"random\",\n    \"window\",\n    \"mtt\",\n    \"selmatch\"\n  ]", "\"compare\": []", "compare", "is empty")]   // it used to fail only at the report
    [InlineData("\"compare\": [\n    \"random\",\n    \"window\",\n    \"mtt\",\n    \"selmatch\"\n  ]", "\"compare\": [\"random\", \"random\"]", "compare", "'random' 2 times")]
    public void BadFieldFailsBeforeAnyWorkNamingTheField(string from, string to, string field, string detail)
    {
        var path = WriteVariant(t => t.Contains(from) ? t.Replace(from, to) : throw new InvalidOperationException($"test edit '{from}' not found"));
        var ex = Assert.Throws<RecipeException>(() => Recipe.Load(path));
        Assert.Contains($"'{field}'", ex.Message);
        Assert.Contains(detail, ex.Message);
        Assert.Contains(path, ex.Message);
    }

    /// <summary>What the JSON reader refuses is said in the recipe's terms: the field's path and what it takes, not
    /// the .NET member or type behind it.</summary>
    [Theory]
    [InlineData("\"seed\": 0,", "\"seed\": 0, \"sedd\": 1,", "field 'sedd' is not a field of this recipe")]
    [InlineData("\"ipc\": 300,", "\"ipc\": \"300\",", "is not an integer")]
    [InlineData("\"seed\": 0,", "\"seed\": 0, \"seed\": 1,", "field 'seed' appears twice")]
    [InlineData("\"ipc\": 300,", "\"ipc\": 300, \"compare\": null,", "field 'compare' is null")]
    [InlineData("\"kind\": \"forgetting\"", "\"kind\": 3", "field 'scores.kind' (line 20) is not a string or a list of strings")]
    [InlineData("\"kind\": \"forgetting\"", "\"kind\": [\"forgetting\", 3]", "field 'scores.kind' (line 20) is not a string or a list of strings")]
    [InlineData("\"protocol\": \"sel\"", "\"protocol\": \"sel\", \"crossArchitectures\": [\"MLP\"], \"crossArchitectureLr\": \"0.01\"", "field 'evaluation.crossArchitectureLr' (line 67) is not a number, or an object of architecture name → number")]
    [InlineData("\"protocol\": \"sel\"", "\"protocol\": \"sel\", \"crossArchitectures\": [\"MLP\"], \"crossArchitectureLr\": {\"MLP\": \"fast\"}", "field 'evaluation.crossArchitectureLr' (line 67) is not a number, or an object of architecture name → number ('MLP' is not a number)")]
    [InlineData("\"lr\": 0.03,", "\"lr\": 0.03, \"gsam\": {\"rho\": 0.01},", "section 'experts.gsam' lacks required field(s) 'alpha'")]
    [InlineData("\"lr\": 0.03,", "\"lr\": 0.03, \"gsam\": {\"rho\": 0.01, \"alpha\": 0.3, \"radius\": 1},", "field 'experts.gsam.radius' is not a field of this recipe")]
    public void JsonErrorsNameTheFieldInTheRecipesTerms(string from, string to, string expected)
    {
        var path = WriteVariant(t => t.Contains(from) ? t.Replace(from, to) : throw new InvalidOperationException($"test edit '{from}' not found"));
        var message = Assert.Throws<RecipeException>(() => Recipe.Load(path)).Message;
        Assert.Contains(expected, message);
        Assert.StartsWith(path, message);
        Assert.DoesNotContain("DDist.", message);
        Assert.DoesNotContain("System.", message);
    }

    /// <summary>`experts.gsam` trains the experts with GSAM (FTD's flat trajectories): it reaches the expert options
    /// (adaptive unless it says otherwise), is spelled out in the run's recipe, and an absent one leaves plain SGD.</summary>
    [Fact]
    public void ExpertsTakeGsam()
    {
        Assert.Null(Demo().ToExpertOptions().Sharpness);
        var r = Recipe.Load(WriteVariant(t => t.Replace("\"lr\": 0.03,", "\"lr\": 0.03, \"gsam\": {\"rho\": 0.02, \"alpha\": 0.4},")));
        Assert.Equal(new DDist.Training.SharpnessAware { Rho = 0.02, Alpha = 0.4, Adaptive = true }, r.ToExpertOptions().Sharpness);
        Assert.Equal("{\"rho\":0.02,\"alpha\":0.4,\"adaptive\":true}", System.Text.Json.Nodes.JsonNode.Parse(r.ToJson())!["experts"]!["gsam"]!.ToJsonString());
        Assert.DoesNotContain("gsam", Demo().ToJson());
        Assert.Equal("5 × ConvNetW32, 6 epochs, GSAM ρ 0.02, α 0.4, adaptive", r.Experts.Describe());
        Assert.DoesNotContain("GSAM", Demo().Experts.Describe());
        var plain = Recipe.Load(WriteVariant(t => t.Replace("\"lr\": 0.03,", "\"lr\": 0.03, \"gsam\": {\"rho\": 0.02, \"alpha\": 0.4, \"adaptive\": false},")));
        Assert.False(plain.ToExpertOptions().Sharpness!.Adaptive);
        var datm = SoftLabelRecipe.Load(Path.Combine(RecipesDir(), "cifar10-ipc10-datm.json")).ToExpertOptions();
        Assert.Equal((100, new DDist.Training.SharpnessAware { Rho = 0.01, Alpha = 0.3 }), (datm.Epochs, datm.Sharpness));
    }

    /// <summary>`emaDecay` (FTD's moving average of the images) reaches MTT/SelMatch's options and a comparison's MTT,
    /// names itself in the checkpoint fingerprint (absent: the fingerprint every earlier run has) and in the spelled-out
    /// recipe, and a DATM/TESLA recipe, whose distillation keeps no average, is refused naming the field.</summary>
    [Fact]
    public void FtdAverageIsTakenByMttAndSelMatchAndRefusedByDatm()
    {
        var plain = Demo().ToTrajectoryMatchingOptions("out");
        Assert.Null(plain.EmaDecay);
        Assert.DoesNotContain("ema", plain.Fingerprint());
        var ftd = Recipe.Load(WriteVariant(t => t.Replace("\"selectOn\": \"validation\"", "\"selectOn\": \"validation\", \"emaDecay\": 0.999")));
        var o = ftd.ToTrajectoryMatchingOptions("out", "mtt");
        Assert.Equal(0.999, o.EmaDecay);
        Assert.Equal(plain.Fingerprint().Replace("|selmatch", "|mtt") + "|ema=0.999", o.Fingerprint());
        Assert.Equal(0.999, System.Text.Json.Nodes.JsonNode.Parse(ftd.ToJson())!["distill"]!["emaDecay"]!.GetValue<double>());

        var comparison = File.ReadAllText(Path.Combine(RecipesDir(), "fashion-mnist-mtt-dm-cpu.json"));
        Assert.Contains("\"lrInit\": 0.01,", comparison);
        var withAverage = Path.Combine(_dir, "comparison.json");
        File.WriteAllText(withAverage, comparison.Replace("\"lrInit\": 0.01,", "\"lrInit\": 0.01, \"emaDecay\": 0.99,"));
        Assert.Equal(0.99, ComparisonRecipe.Load(withAverage).MttSettings.ToOptions(0, "out").EmaDecay);

        var datm = File.ReadAllText(Path.Combine(RecipesDir(), "cifar10-ipc1-datm.json"));
        var bad = Path.Combine(_dir, "datm.json");
        File.WriteAllText(bad, datm.Replace("\"synSteps\": 80,", "\"synSteps\": 80, \"emaDecay\": 0.999,"));
        var e = Assert.Throws<RecipeException>(() => SoftLabelRecipe.Load(bad));
        Assert.Contains(e.Errors, m => m.Contains("'matching.emaDecay'") && m.Contains("keep no moving average"));
    }

    /// <summary>crossArchitectureLr per architecture: a listed one it names trains at its value, kept under
    /// MODEL@lrX; one it leaves out keeps the evaluation's protocol and plain key. The object is written back in the
    /// recipe's order, and a number still fixes every architecture.</summary>
    [Fact]
    public void CrossArchitectureLrTakesOneStepSizeOrOnePerArchitecture()
    {
        var perModel = Recipe.Load(WriteVariant(t => t.Replace("\"protocol\": \"sel\"",
            "\"protocol\": \"sel\", \"crossArchitectures\": [\"MLP\", \"AlexNet\"], \"crossArchitectureLr\": {\"AlexNet\": 0.01}")));
        var own = perModel.ToEvalProtocol();
        Assert.Equal((0.01, false, "AlexNet"), (perModel.ToEvalProtocol("AlexNet").LearningRate, perModel.ToEvalProtocol("AlexNet").UseLearnedLr, perModel.ToEvalProtocol("AlexNet").Model));
        Assert.Equal((own.LearningRate, own.UseLearnedLr, "MLP"), (perModel.ToEvalProtocol("MLP").LearningRate, perModel.ToEvalProtocol("MLP").UseLearnedLr, perModel.ToEvalProtocol("MLP").Model));
        Assert.Equal(["MLP", "AlexNet@lr0.01"], perModel.Evaluation.CrossArchitectures!.Select(perModel.Evaluation.CrossArchitectureKey));
        var written = System.Text.Json.Nodes.JsonNode.Parse(perModel.ToJson())!["evaluation"]!["crossArchitectureLr"]!;
        Assert.Equal("{\"AlexNet\":0.01}", written.ToJsonString());
        Assert.Equal(0.01, CrossArchitectureLr.From(written)!.For("AlexNet"));
        Assert.Null(CrossArchitectureLr.From(written)!.For("MLP"));

        var all = Recipe.Load(WriteVariant(t => t.Replace("\"protocol\": \"sel\"",
            "\"protocol\": \"sel\", \"crossArchitectures\": [\"MLP\", \"AlexNet\"], \"crossArchitectureLr\": 0.02")));
        Assert.Equal(["MLP@lr0.02", "AlexNet@lr0.02"], all.Evaluation.CrossArchitectures!.Select(all.Evaluation.CrossArchitectureKey));
        Assert.Equal("0.02", System.Text.Json.Nodes.JsonNode.Parse(all.ToJson())!["evaluation"]!["crossArchitectureLr"]!.ToJsonString());
    }

    [Fact]
    public void LearningSpeedScoresAreComputedFromTheSameRunsAsForgetting()
    {
        var r = Recipe.Load(WriteVariant(t => t.Replace("\"kind\": \"forgetting\"", "\"kind\": \"learning-speed\"")));
        Assert.Equal([ScoreKind.LearningSpeed], r.ScoreKinds);
        Assert.Null(r.Scores!.File);
        Assert.Equal(Demo().ToForgettingOptions(), r.ToForgettingOptions());   // the runs themselves do not change
        Assert.Contains(DDist.Pipeline.Stages.RecipeStages.For(r), s => s.Name == DDist.Pipeline.Stages.RecipeStages.Forgetting);
    }

    /// <summary>A list of computed kinds is searched with β: one score file and one window grid per kind. One kind is
    /// written back as the plain string it always was, so recipes naming one keep their JSON and their folders.</summary>
    [Fact]
    public void ScoreKindsListedTogetherAreSearchedWithBetaAndOneKindKeepsItsJson()
    {
        var path = WriteVariant(t => t.Replace("\"kind\": \"forgetting\"", "\"kind\": [\"learning-speed\", \"forgetting\"]")
                                      .Replace(",\n    \"halvingStartEpochs\": 2", ""));
        var r = Recipe.Load(path);
        Assert.Equal([ScoreKind.LearningSpeed, ScoreKind.Forgetting], r.ScoreKinds);
        Assert.Contains("\"kind\": [", r.ToJson());
        var window = DDist.Pipeline.Stages.RecipeStages.For(r).Single(s => s.Name == DDist.Pipeline.Stages.RecipeStages.Window);
        Assert.Equal(2 * r.Window!.Betas.Length, window.Tasks);
        Assert.Equal("forgetting β 0", window.TaskName(r.Window.Betas.Length));
        var folder = new DDist.Pipeline.Stages.RunFolder("/run");
        Assert.Equal("/run/scores-forgetting.safetensors", folder.ScoresFor(r, ScoreKind.Forgetting));
        Assert.Equal("/run/window/learning-speed", folder.WindowFor(r, ScoreKind.LearningSpeed));

        var one = Demo();
        Assert.Contains("\"kind\": \"forgetting\"", one.ToJson());
        Assert.Equal("/run/scores.safetensors", folder.ScoresFor(one, ScoreKind.Forgetting));
        Assert.Equal("/run/window", folder.WindowFor(one, ScoreKind.Forgetting));
    }

    [Fact]
    public void UnrollModeComesFromTheRecipeOrFromSynSteps()
    {
        var exact = Recipe.Load(WriteVariant(t => t.Replace("\"selectOn\": \"validation\"", "\"selectOn\": \"validation\", \"unroll\": \"exact\"")));
        Assert.Equal(DDist.Distillation.Unrolling.UnrollMode.Exact, exact.ToTrajectoryMatchingOptions("out").Unroll);
        var demo = Demo();
        Assert.Null(demo.Distill.Unroll);
        Assert.Equal(DDist.Distillation.Unrolling.UnrollModes.DefaultFor(demo.Distill.SynSteps), demo.ToTrajectoryMatchingOptions("out").Unroll);
    }

    [Fact]
    public void UnknownFieldAndBadBetaGridAreRejected()
    {
        var unknown = WriteVariant(t => t.Replace("\"seed\": 0,", "\"seed\": 0, \"sedd\": 1,"));
        Assert.Contains("sedd", Assert.Throws<RecipeException>(() => Recipe.Load(unknown)).Message);
        var grid = WriteVariant(t => t.Replace("0.8\n    ],", "1.2\n    ],"));
        var ex = Assert.Throws<RecipeException>(() => Recipe.Load(grid));
        Assert.Contains("'window.betas'", ex.Message);
        // The paper's reading: β = 0.96 of a 6000-image class (5760 + 300 > 6000) leaves no room for 300 images.
        var paper = WriteVariant(t => t.Replace("0.8\n    ],", "0.96\n    ],"));   // the demo reads β as a fraction of the class
        Assert.Contains("runs past the smallest class", Assert.Throws<RecipeException>(() => Recipe.Load(paper)).Message);
    }

    [Fact]
    public void DemoRecipeDescribesTheCpuPipeline()
    {
        var r = Demo();
        Assert.Equal(("fashion-mnist", 300, (180, 120)), (r.Dataset, r.Ipc, r.SplitPerClass));
        Assert.Null(r.Distill.Beta);                       // β comes from the window search
        Assert.Null(r.ResolveScoreFile());                 // forgetting scores are computed
        Assert.Equal(SelectOn.Validation, r.SelectOn);
        Assert.Equal(WindowOffset.FractionOfClass, r.WindowOffset);
        Assert.NotNull(r.ToHalvingOptions("h.json", "fashion-mnist-dc"));
        Assert.Equal("color_crop_cutout_flip_scale_rotate", r.DsaStrategy);
    }
}
