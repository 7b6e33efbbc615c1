using System.Text.Json.Nodes;
using DDist.Tests.Data;

namespace DDist.Tests.Unrolled;

/// <summary>`ddist distill --unroll` reaches DD / SLD and DATM / TESLA recipes; a mode a method does not take is refused
/// by the flag's name before any data is loaded.</summary>
[Collection(SerialRngCollection.Name)]
public class UnrollCliTests
{
    private static (int Code, string Err) Run(params string[] args)
    {
        var r = RunWithOutput(args);
        return (r.Code, r.Err);
    }

    private static (int Code, string Out, string Err) RunWithOutput(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        int code = DDist.Cli.Program.Run([.. args, "--threads", "2"], output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static string AccuracyText(string output) =>
        System.Text.RegularExpressions.Regex.Replace(
            System.Text.RegularExpressions.Regex.Match(output, @"test accuracy .*% at step 0\)").Value, @"the \d+ learned", "the learned");

    private static System.Text.Json.Nodes.JsonNode Status(string dir)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        Assert.True(DDist.Cli.Program.Run(["status", dir, "--json"], output, error) == 0, error.ToString());
        return System.Text.Json.Nodes.JsonNode.Parse(output.ToString())!;
    }

    private static string Recipe(string name) => Path.Combine(DDist.Data.DatasetLocator.FindRepoRoot(AppContext.BaseDirectory)!, "recipes", name);

    /// <summary>`ddist run` on a DD / SLD or DATM / TESLA recipe is `ddist distill` with the recipe's own method (the
    /// README's one command for every recipe), takes --unroll the same way, and refuses the Slurm executor by name.</summary>
    [RealDataFact("mnist")]
    public void RunOnAnUnrolledOrSoftLabelRecipeDistilsWithItsMethod()
    {
        using var dir = new TempDir();
        var r = RunWithOutput("run", Recipe("mnist-dd-gpu-check.json"), "--out", dir.Path);
        Assert.True(r.Code == 0, r.Err);
        Assert.True(File.Exists(dir.Combine("synthetic.safetensors")) && File.Exists(dir.Combine("distill.json")));
        Assert.Contains("[dd]", r.Err);
        // `eval --protocol steps` on the set, with the run's evaluation seed (the recipe's seed 1 + 1000) and network
        // count, prints the run's figures, rounded the same way (it once printed 11.32 where the run printed 11.31).
        var eval = RunWithOutput("eval", dir.Combine("synthetic.safetensors"), "--protocol", "steps", "--nets", "1", "--seed", "1001");
        Assert.True(eval.Code == 0, eval.Err);
        Assert.NotEqual("", AccuracyText(r.Out));
        Assert.Equal(AccuracyText(r.Out), AccuracyText(eval.Out));
        // The run ends with its report (accuracy with the learned steps and at step 0, the step sizes, loss, images);
        // `ddist report` redraws it from the folder's files.
        var ddReport = File.ReadAllText(dir.Combine("report.md"));
        foreach (var part in new[] { "# mnist-dd-gpu-check: DD on mnist", "| with the learned steps |", "| at step 0", "Learned step sizes α", "## Distillation loss", "images.png" })
            Assert.Contains(part, ddReport);
        Assert.Contains($"report: {dir.Combine("report.md")}", r.Out);
        File.Delete(dir.Combine("report.md"));
        Assert.Equal(0, RunWithOutput("report", dir.Path).Code);
        Assert.Equal(ddReport, File.ReadAllText(dir.Combine("report.md")));

        // `ddist status` reads the folder of one distillation from its files and the recipe kept beside them.
        var done = Status(dir.Path);
        Assert.True((bool)done["complete"]!);
        var iterations = done["parts"]![0]!;
        Assert.Equal(("distillation", (long)iterations["total"]!), ((string)iterations["name"]!, (long)iterations["done"]!));
        File.Delete(dir.Combine("distill.json"));   // as if stopped after the last checkpoint
        Assert.False((bool)Status(dir.Path)["complete"]!);
        // The folder belongs to its recipe: another one is refused rather than mixed in.
        var other = Run("run", Recipe("mnist-datm-gpu-check.json"), "--out", dir.Path);
        Assert.Equal(DDist.Cli.ExitCodes.DataError, other.Code);
        Assert.Contains("another recipe", other.Err);
        Assert.Contains(" there, ", other.Err);   // names the first field that differs
        // The same recipe with another description is the same run.
        var described = dir.Combine("described.json");
        File.WriteAllText(described, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(Recipe("mnist-dd-gpu-check.json")),
                                                                                   "\"description\"\\s*:\\s*\"[^\"]*\"", "\"description\": \"edited\""));
        var again = Run("run", described, "--out", dir.Path);
        Assert.True(again.Code == 0, again.Err);
        Assert.Contains("\"edited\"", File.ReadAllText(dir.Combine("recipe.json")));

        var datm = Run("run", Recipe("mnist-datm-gpu-check.json"), "--out", dir.Combine("datm"));
        Assert.True(datm.Code == 0, datm.Err);
        var parts = Status(dir.Combine("datm"))["parts"]!.AsArray();
        Assert.Equal(["experts", "distillation", "evaluation"], parts.Select(p => (string)p!["name"]!));
        Assert.All(parts, p => Assert.Equal((long)p!["total"]!, (long)p["done"]!));
        // The recipe keeps the better of iterations 2 and 4, judged on validation images none of the set started from.
        var held = JsonNode.Parse(File.ReadAllText(dir.Combine("datm", "validation.json")))!["indices"]!.AsArray().Select(i => (int)i!).ToHashSet();
        Assert.Equal(100, held.Count);
        using (var set = DDist.Artifacts.SmallSet.Load(dir.Combine("datm", "datm", "synthetic.safetensors")))
            Assert.DoesNotContain(set.SourceIndex, i => held.Contains((int)i));
        var summary = JsonNode.Parse(File.ReadAllText(dir.Combine("datm", "datm", "distill.json")))!;
        Assert.Equal([2, 4], summary["selection_curve"]!.AsArray().Select(p => (int)p!["Iteration"]!));
        Assert.Contains((int)summary["best_iteration"]!, new[] { 2, 4 });
        Assert.Equal("validation split", (string)summary["selected_on"]!);
        var result = JsonNode.Parse(File.ReadAllText(dir.Combine("datm", "datm", "result.json")))!;
        Assert.Equal((int)summary["best_iteration"]!, (int)result["kept_iteration"]!);
        Assert.Contains("chosen on the validation split", (string)result["note"]!);
        Assert.Contains("datm on the validation split: ", datm.Err);
        // The run ends with its report, which `ddist report` redraws from the folder's files alone.
        var report = File.ReadAllText(dir.Combine("datm", "report.md"));
        foreach (var part in new[] { "## Accuracy (test set, reported only)", "## Accuracy during distillation", "(kept)", "## Distillation loss", "## Soft labels", "images.png" })
            Assert.Contains(part, report);
        Assert.True(File.Exists(dir.Combine("datm", "images.png")) && File.Exists(dir.Combine("datm", "loss.png")) && File.Exists(dir.Combine("datm", "report.html")));
        File.Delete(dir.Combine("datm", "report.md"));
        var redrawn = RunWithOutput("report", dir.Combine("datm"));
        Assert.True(redrawn.Code == 0, redrawn.Err);
        Assert.Equal(report, File.ReadAllText(dir.Combine("datm", "report.md")));
        File.Delete(dir.Combine("datm", "datm", "result.json"));   // as if stopped before the evaluation finished
        var early = RunWithOutput("report", dir.Combine("datm"));
        Assert.Equal(DDist.Cli.ExitCodes.NoInput, early.Code);
        Assert.Contains("result.json: not found; the run has not finished its evaluation", early.Err);
        Assert.Contains("--unroll 'tesla'", Run("run", Recipe("mnist-ipc1-dd-cpu.json"), "--unroll", "tesla").Err);
        Assert.Contains("--unroll 'partly'", Run("run", Recipe("fashion-mnist-ipc10-datm-cpu.json"), "--unroll", "partly").Err);
        var slurm = Run("run", Recipe("fashion-mnist-ipc10-datm-cpu.json"), "--executor", "slurm", "--out", dir.Combine("s"));
        Assert.Equal(DDist.Cli.ExitCodes.UsageError, slurm.Code);
        Assert.Contains("one distillation", slurm.Err);
        Assert.False(Directory.Exists(dir.Combine("s")));
    }

    /// <summary>selectOn "test" is DATM's own protocol: nothing is carved, the iteration is chosen on the test set, and
    /// every output says so.</summary>
    [RealDataFact("mnist")]
    public void ASoftLabelRecipeThatChoosesOnTheTestSetSaysSo()
    {
        using var dir = new TempDir();
        var recipe = dir.WriteText("on-test.json", File.ReadAllText(Recipe("mnist-datm-gpu-check.json"))
            .Replace("\"evalIterations\": [2, 4],", "\"evalIterations\": [2, 4], \"selectOn\": \"test\","));
        var r = Run("run", recipe, "--out", dir.Combine("out"));
        Assert.True(r.Code == 0, r.Err);
        Assert.False(File.Exists(dir.Combine("out", "validation.json")));
        Assert.Contains("datm on the test set (reference protocol): ", r.Err);
        var summary = JsonNode.Parse(File.ReadAllText(dir.Combine("out", "datm", "distill.json")))!;
        Assert.StartsWith("test (reference protocol", (string)summary["selected_on"]!);
        Assert.Contains("also chosen on the test set", (string)JsonNode.Parse(File.ReadAllText(dir.Combine("out", "datm", "result.json")))!["note"]!);
        Assert.Contains("the test set (reference protocol)", File.ReadAllText(dir.Combine("out", "report.md")));
    }

    /// <summary>"zca": true (DATM's configs): experts, distillation and evaluation in ZCA space, the set carrying the
    /// transform, so `ddist eval` whitens the test set the same way and pictures show pixels.</summary>
    [RealDataFact("mnist")]
    public void ASoftLabelRecipeWithZcaWorksInWhitenedSpaceAndTheSetCarriesTheTransform()
    {
        using var dir = new TempDir();
        var recipe = dir.WriteText("zca.json", File.ReadAllText(Recipe("mnist-datm-gpu-check.json")).Replace("\"seed\": 0,", "\"seed\": 0, \"zca\": true,"));
        var r = RunWithOutput("run", recipe, "--out", dir.Combine("out"));
        Assert.True(r.Code == 0, r.Err);
        var expert = JsonNode.Parse(File.ReadAllText(dir.Combine("out", "experts", "expert_0000.json")))!["config"]!;
        Assert.Equal((true, "zca"), ((bool)expert["zca"]!, (string)expert["normalization"]!));
        var setPath = dir.Combine("out", "datm", "synthetic.safetensors");
        // The transform is kept in the folder, as a SelMatch run keeps it, and the set carries that one.
        using var kept = DDist.Data.ZcaTransform.Load(dir.Combine("out", "zca.safetensors"));
        using (var set = DDist.Artifacts.SmallSet.Load(setPath))
        {
            Assert.NotNull(set.Zca);
            using (var carried = DDist.Data.ZcaTransform.FromTensors(set.Zca!))
                Assert.Equal(kept.Matrix.ToArray<float>(), carried.Matrix.ToArray<float>());
            Assert.Equal("zca", set.Info.Normalization);
            Assert.NotNull(set.SoftLabels);
        }
        var eval = RunWithOutput("eval", setPath, "--nets", "1", "--epochs", "5");
        Assert.True(eval.Code == 0, eval.Err);
        Assert.True(File.Exists(dir.Combine("out", "images.png")));
    }

    [Theory]
    [InlineData("mnist-ipc1-dd-cpu.json", "dd", "tesla")]
    [InlineData("mnist-ipc1-dd-cpu.json", "sld", "partly")]
    [InlineData("fashion-mnist-ipc10-datm-cpu.json", "datm", "partly")]
    public void AModeTheMethodDoesNotTake_IsRefusedByTheFlag(string recipe, string method, string mode)
    {
        var r = Run("distill", Recipe(recipe), "--method", method, "--unroll", mode);
        Assert.NotEqual(0, r.Code);
        Assert.Contains($"--unroll '{mode}'", r.Err);
    }
}
