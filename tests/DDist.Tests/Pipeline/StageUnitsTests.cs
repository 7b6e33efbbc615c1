using System.Text;
using DDist.Pipeline;
using DDist.Pipeline.Executors;
using DDist.Pipeline.Stages;
using DDist.Pipeline.Stages.Comparison;
using DDist.Recipes;
using DDist.Tests.Data;

namespace DDist.Tests.Pipeline;

/// <summary>The stages as units: the local runner and the Slurm plan run the same list, in dependency order; a unit
/// whose outputs are in the folder is not run again, and a scheduler task runs its own piece only.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class StageUnitsTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private static Recipe Published(string name) => Recipe.Load(Path.Combine(SlurmCluster.RepoRoot, "recipes", name));

    [Theory]
    [InlineData("fashion-mnist-ipc300-demo.json")]    // forgetting runs and successive halving
    [InlineData("fashion-mnist-ipc10-demo.json")]
    [InlineData("mnist-gpu-check-cpu.json")]           // no MTT: one distillation, two rows
    public void LocalRunnerAndSlurmPlanListTheSameUnitsInDependencyOrder(string recipeFile)
    {
        var recipe = Published(recipeFile);
        var runner = new RecipeRunner(recipe, _dir.Path);
        var plan = new StagePlan(recipe, _dir.Path);
        static string Describe(IStage s) => $"{s.GetType().Name} {s.Name} ×{s.Tasks} after [{string.Join(",", s.After)}]";
        Assert.Equal(runner.Stages.Select(Describe), plan.Units.Select(u => Describe(u.Stage)));
        // A full local run goes through every unit, in the plan's order, and no unit comes before one it reads.
        Assert.Equal(plan.Units.Select(u => u.Name), StageSequence.Needed(runner.Stages, [RecipeStages.Report]).Select(s => s.Name));
        var before = new HashSet<string>();
        foreach (var unit in plan.Units)
        {
            Assert.All(unit.After, input => Assert.Contains(input, before));
            before.Add(unit.Name);
        }
        // `ddist window` stops at the chosen β, before any distillation.
        Assert.Equal(RecipeStages.ChooseBeta, StageSequence.Needed(runner.Stages, [RecipeStages.ChooseBeta])[^1].Name);
        Assert.DoesNotContain(StageSequence.Needed(runner.Stages, [RecipeStages.ChooseBeta]), s => s.Name.StartsWith("distill-"));
    }

    [Fact]
    public void UnitsWhoseOutputsExistAreNotRunAgain()
    {
        // The outputs of experts, forgetting runs and scores, as files no stage could read: running any of those
        // stages again (or loading anything for them) would fail.
        var recipe = Published("fashion-mnist-ipc300-demo.json");
        for (int k = 0; k < recipe.Experts.Count; k++)
        {
            _dir.WriteText($"experts/expert_{k:D4}.safetensors", "not a tensor file");
            _dir.WriteText($"experts/expert_{k:D4}.json", "{}");
        }
        _dir.WriteText("scores.safetensors", "not a tensor file");
        var state = PipelineState.LoadOrCreate(_dir.Path, recipe.ToJsonNode());
        state.Stages.Add(new PipelineState.StageTime("experts", 12));
        state.Stages.Add(new PipelineState.StageTime("scores", 34));
        state.Save(_dir.Path);

        var log = new List<string>();
        var result = new RecipeRunner(recipe, _dir.Path, log: log.Add, options: new PipelineOptions { StopAfter = PipelineStop.Scores }).Run();
        Assert.Equal(["experts: done earlier, reusing it", "forgetting: done earlier, reusing it", "scores: done earlier, reusing it"], log);
        Assert.Equal("not a tensor file", File.ReadAllText(_dir.Combine("scores.safetensors")));
        Assert.Equal([("experts", 12.0), ("scores", 34.0)], result.Stages.Select(s => (s.Stage, s.Seconds)));
        Assert.Null(result.Beta);

        // Without the record of its time the scores stage is unfinished (interrupted after writing the file): it runs.
        File.Delete(_dir.Combine(PipelineState.FileName));
        Assert.False(new ScoresStage(recipe, RecipeStages.Forgetting).IsDone(new RunFolder(_dir.Path)));
        Assert.True(((IStage)new ExpertsStage(recipe)).IsDone(new RunFolder(_dir.Path)));
    }

    [Fact]
    public void AForgettingRunsLeftCheckpointKeepsItsTaskOpenUntilDropped()
    {
        var recipe = Published("fashion-mnist-ipc300-demo.json");
        var folder = new RunFolder(_dir.Path);
        IStage<StageContext> stage = new ForgettingStage(recipe);
        string Run(int r) => DDist.Selection.ForgettingScoreTrainer.RunFile(folder.Forgetting, r);
        string Checkpoint(int r) => DDist.Selection.ForgettingScoreTrainer.CheckpointFile(folder.Forgetting, r);
        _dir.WriteText("forgetting/run-0.safetensors", "kept run");
        _dir.WriteText("forgetting/run-1.safetensors", "kept run");
        Assert.True(stage.IsDone(folder));
        // Killed between keeping run 1 and dropping its checkpoint: the task is open again (its rerun only drops it).
        _dir.WriteText("forgetting/run-1.checkpoint.safetensors", "left by a killed run");
        Assert.Equal([true, false], Enumerable.Range(0, 2).Select(r => stage.IsTaskDone(folder, r)));
        Assert.False(stage.IsDone(folder));

        // Once the scores are made, the runs are no longer needed: a run file may be gone, but a left checkpoint still
        // keeps its task open, and the task only deletes it (nothing is trained or loaded: the dataset is never read).
        File.Delete(Run(1));
        var state = PipelineState.LoadOrCreate(_dir.Path, recipe.ToJsonNode());
        state.Stages.Add(new PipelineState.StageTime(ScoresStage.Label, 1));
        state.Save(_dir.Path);
        _dir.WriteText("scores.safetensors", "not read");
        Assert.False(stage.IsTaskDone(folder, 1));
        using (var context = new StageContext(recipe, folder, PipelineState.LoadOrCreate(_dir.Path, recipe.ToJsonNode()), new PipelineOptions(), null, null, default))
            stage.RunTask(context, 1);
        Assert.False(File.Exists(Checkpoint(1)));
        Assert.True(stage.IsDone(folder));
        Assert.Equal("kept run", File.ReadAllText(Run(0)));
    }

    [Fact]
    public void ComparisonUnitsCutTheTableIntoOneTaskPerSetAndReadTheFolder()
    {
        var recipe = ComparisonRecipe.Load(Path.Combine(SlurmCluster.RepoRoot, "recipes", "mnist-family-cpu.json"));
        var stages = new ComparisonRunner(recipe, _dir.Path).Stages;
        Assert.Equal(["forgetting", "embedding", "sets", "evaluate", "table"], stages.Select(s => s.Name));
        Assert.Equal([[], [], ["forgetting", "embedding"], ["sets"], ["evaluate", "embedding"]], stages.Select(s => s.After.ToArray()));
        int cells = recipe.Ipcs.Length * recipe.Methods.Length;
        Assert.Equal([1, 1, cells, cells, 1], stages.Select(s => s.Tasks));
        var sets = StageSequence.Find(stages, "sets");
        // IPC-major, as the table's rows: task k is method k % M at the (k / M)-th IPC.
        Assert.Equal($"{recipe.Methods[1]} at IPC {recipe.Ipcs[0]}", sets.TaskName(1));
        Assert.Equal($"{recipe.Methods[0]} at IPC {recipe.Ipcs[1]}", sets.TaskName(recipe.Methods.Length));

        var folder = new RunFolder(_dir.Path);
        var dm = recipe.Methods.ToList().IndexOf("dm");
        Assert.False(sets.IsTaskDone(folder, dm));
        _dir.WriteText($"ipc{recipe.Ipcs[0]}/dm/synthetic.safetensors", "x");
        Assert.False(sets.IsTaskDone(folder, dm));                          // made.json is written last
        _dir.WriteText($"ipc{recipe.Ipcs[0]}/dm/made.json", "{\"seconds\": 1}");
        Assert.True(sets.IsTaskDone(folder, dm));
        Assert.False(sets.IsDone(folder));
        var evaluate = StageSequence.Find(stages, "evaluate");
        _dir.WriteText($"ipc{recipe.Ipcs[0]}/dm/eval.json", "{}");
        Assert.Equal(Enumerable.Range(0, cells).Where(t => t != dm), Enumerable.Range(0, cells).Where(t => !evaluate.IsTaskDone(folder, t)));
        // The table is done once comparison.json is newer than every evaluation.
        var table = StageSequence.Find(stages, "table");
        for (int t = 0; t < cells; t++) _dir.WriteText(Path.GetRelativePath(_dir.Path, ComparisonCell.Of(recipe)[t].EvalPath(folder)), "{}");
        Assert.False(table.IsDone(folder));
        _dir.WriteText(ComparisonRunner.JsonFile, "{}");
        Assert.True(table.IsDone(folder));
        File.SetLastWriteTimeUtc(ComparisonCell.Of(recipe)[dm].EvalPath(folder), DateTime.UtcNow.AddMinutes(1));   // re-evaluated since
        Assert.False(table.IsDone(folder));
    }

    [Fact]
    public void AComparisonTrainsTheEmbeddingOnlyWhenAMethodOrCoverageReadsIt()
    {
        var recipe = ComparisonRecipe.Load(Path.Combine(SlurmCluster.RepoRoot, "recipes", "mnist-family-cpu.json"));
        string Names(ComparisonRecipe r) => string.Join(" ", ComparisonStages.For(r).Select(s => $"{s.Name}[{string.Join(",", s.After)}]"));
        var none = recipe with { Methods = ["random", "dm"], Coverage = new CoverageRecipe { ReferencePerClass = 0 } };
        Assert.Equal("sets[] evaluate[sets] table[evaluate]", Names(none));
        // Coverage alone: the table waits for the embedding, the sets do not.
        Assert.Equal("embedding[] sets[] evaluate[sets] table[evaluate,embedding]", Names(none with { Coverage = new CoverageRecipe { ReferencePerClass = 5 } }));
        Assert.Equal("embedding[] sets[embedding] evaluate[sets] table[evaluate,embedding]", Names(none with { Methods = ["kcenter"] }));
    }

    /// <summary>Choosing β also trains the random pick as the window's points were, once: kept in pipeline.json, timed as
    /// its own stage, said in the log beside the best window, made again when interrupted, and not trained again once
    /// made.</summary>
    [RealDataFact("fashion-mnist")]
    public void ChoosingBetaTrainsTheRandomPickAsTheWindowsReferenceOnce()
    {
        var recipe = Tiny();
        var run = _dir.Combine("run");
        var window = new PipelineOptions { StopAfter = PipelineStop.Window };
        // Interrupted while the reference trains: nothing marks the stage done, so the resumed run makes it.
        using (var stop = new CancellationTokenSource())
        {
            Assert.ThrowsAny<OperationCanceledException>(() => new RecipeRunner(recipe, run, log: l =>
            {
                if (l.StartsWith(ChooseBetaStage.RandomReferenceLabel)) stop.Cancel();
            }, options: window).Run(stop.Token));
            var stopped = PipelineState.Load(run);
            Assert.True(stopped.ChosenBeta is null && stopped.RandomOnChoice is null);
            Assert.Contains(stopped.Work, w => w.Stage == ChooseBetaStage.RandomReferenceLabel);   // its time is kept
        }
        var log = new List<string>();
        new RecipeRunner(recipe, run, log: log.Add, options: window).Run();
        var state = PipelineState.Load(run);
        var random = Assert.IsType<DDist.Evaluation.EvalResult>(state.RandomOnChoice);
        Assert.Equal(recipe.Window!.Nets, random.Accuracies.Length);
        Assert.InRange(random.Mean, 0.0, 1.0);
        Assert.Contains(state.StageTimes(), t => t.Stage == ChooseBetaStage.RandomReferenceLabel && t.Seconds > 0);
        var said = Assert.Single(log, l => l.StartsWith("a random pick of the same size: "));
        Assert.Contains("(β ", said);   // names the best window it was compared with
        Assert.Equal(2, state.Work.Count(w => w.Stage == ChooseBetaStage.RandomReferenceLabel));   // the stopped try and this one

        log.Clear();
        new RecipeRunner(recipe, run, log: log.Add, options: window).Run();
        Assert.DoesNotContain(log, l => l.StartsWith("a random pick"));
        Assert.Equal(random.Accuracies, PipelineState.Load(run).RandomOnChoice!.Accuracies);
    }

    /// <summary>3 experts of a 1-layer, 4-channel ConvNet for 1 epoch on 30 Fashion-MNIST images, imported scores.</summary>
    private Recipe Tiny()
    {
        var scores = new StringBuilder("score\n");
        for (int i = 0; i < 60000; i++) scores.Append((i * 7919 % 60000) / 60000.0).Append('\n');
        _dir.WriteText("scores.csv", scores.ToString());
        return Recipe.Load(_dir.WriteText("tiny.json", """
        {
          "name": "units-tiny", "dataset": "fashion-mnist", "ipc": 2, "seed": 3,
          "experts": { "model": "ConvNet(width=4,depth=1)", "count": 3, "epochs": 1, "lr": 0.01, "batchSize": 16, "trainPerClass": 3 },
          "scores": { "kind": "cscore", "file": "scores.csv" },
          "window": { "betas": [0, 0.5], "epochs": 1, "nets": 1 },
          "distill": { "alpha": 0.5, "iterations": 2, "synSteps": 1, "expertEpochs": 1, "maxStartEpoch": 1, "lrInit": 0.01,
                       "checkpointEvery": 0, "evalIterations": [1, 2], "validationPerClass": 10, "selectionEpochs": 1, "selectionNets": 1 },
          "evaluation": { "model": "ConvNet(width=4,depth=1)", "epochs": 1, "nets": 1 }
        }
        """));
    }

    [RealDataFact("fashion-mnist")]
    public void ASchedulerTaskRunsItsPieceAndTheLocalRunReusesIt()
    {
        var recipe = Tiny();
        var run = _dir.Combine("run");
        string Expert(int k) => Path.Combine(run, "experts", $"expert_{k:D4}.safetensors");

        new RecipeRunner(recipe, run).RunTask(RecipeStages.Experts, 1);
        Assert.Equal([false, true, false], Enumerable.Range(0, 3).Select(k => File.Exists(Expert(k))));
        Assert.False(new RunFolder(run).Recorded("experts"));          // one task is not the whole stage
        var (bytes, written) = (File.ReadAllBytes(Expert(1)), File.GetLastWriteTimeUtc(Expert(1)));

        var experts = new PipelineOptions { StopAfter = PipelineStop.Experts };
        new RecipeRunner(recipe, run, options: experts).Run();
        Assert.All(Enumerable.Range(0, 3), k => Assert.True(File.Exists(Expert(k))));
        Assert.Equal(bytes, File.ReadAllBytes(Expert(1)));                 // the task's expert is not trained again
        Assert.Equal(written, File.GetLastWriteTimeUtc(Expert(1)));
        Assert.True(new RunFolder(run).Recorded("experts"));

        var log = new List<string>();
        new RecipeRunner(recipe, run, log: log.Add, options: experts).Run();
        Assert.Equal(["experts: done earlier, reusing it"], log);          // not even the data is loaded
    }
}
