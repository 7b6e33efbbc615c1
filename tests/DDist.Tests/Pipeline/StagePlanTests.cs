using DDist.Pipeline;
using DDist.Pipeline.Executors;
using DDist.Recipes;
using DDist.Tests.Data;

namespace DDist.Tests.Pipeline;

/// <summary>The stage plan, the submission logic and the run state's merge, without a scheduler (the real Slurm
/// runs are in <see cref="SlurmRunTests"/>).</summary>
public sealed class StagePlanTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private static Recipe Demo() => Recipe.Load(Path.Combine(SlurmCluster.RepoRoot, "recipes", "fashion-mnist-ipc300-demo.json"));

    [Fact]
    public void UnitsFollowTheRecipeAndTasksMapToTheirPieceOfWork()
    {
        var plan = new StagePlan(Demo(), _dir.Path);
        Assert.Equal(["experts", "forgetting", "scores", "window", "halving-1", "halving-2", "halving-3", "choose-beta", "distill-mtt", "distill-selmatch", "evaluate", "report"],
                     plan.Units.Select(u => u.Name));
        Assert.Equal([5, 3, 2], new[] { 1, 2, 3 }.Select(r => plan.Unit($"halving-{r}").Tasks));
        Assert.Equal("surviving β 1 of round 2", plan.Unit("halving-2").TaskName(1));
        Assert.Equal((5, 2, 1, 5, 1, 4), (plan.Unit("experts").Tasks, plan.Unit("forgetting").Tasks, plan.Unit("scores").Tasks, plan.Unit("window").Tasks, plan.Unit("choose-beta").Tasks, plan.Unit("evaluate").Tasks / 3));
        Assert.Equal("expert 3", plan.Unit("experts").TaskName(3));
        Assert.Equal("β 0.8", plan.Unit("window").TaskName(4));
        Assert.Equal("mtt distillation", plan.Unit("distill-mtt").TaskName(0));
        Assert.Equal("network 1 of row mtt", plan.Unit("evaluate").TaskName(7));   // 3 networks per row: task 7 is network 1 of the third row
        Assert.Equal("forgetting run 1", plan.Unit("forgetting").TaskName(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecipeRunner(Demo(), _dir.Path).RunTask("experts", 5));
        Assert.Contains("choose-beta", Assert.Throws<ArgumentException>(() => plan.Unit("distil")).Message);
        Assert.Contains("choose-beta", Assert.Throws<ArgumentException>(() => new RecipeRunner(Demo(), _dir.Path).RunTask("distil", 0)).Message);
    }

    /// <summary>An MTT recipe's plan has no scoring, window or SelMatch unit: the published CIFAR-10 IPC 10 one is the
    /// experts, MTT, the two rows' networks, the three other architectures' and the report.</summary>
    [Fact]
    public void AnMttRecipePlansExpertsMttEvaluationAndReportOnly()
    {
        var plan = new StagePlan(Recipe.Load(Path.Combine(SlurmCluster.RepoRoot, "recipes", "cifar10-ipc10-mtt.json")), _dir.Path);
        Assert.Equal(["experts", "distill-mtt", "evaluate", "cross-architecture", "report"], plan.Units.Select(u => u.Name));
        Assert.Equal((100, 1, 2 * 5, 3 * 2 * 5), (plan.Unit("experts").Tasks, plan.Unit("distill-mtt").Tasks, plan.Unit("evaluate").Tasks, plan.Unit("cross-architecture").Tasks));
        Assert.Equal(["distill-mtt"], plan.Unit("evaluate").Stage.After);
    }

    [Fact]
    public void DoneChecksReadTheFolder()
    {
        var plan = new StagePlan(Demo(), _dir.Path);
        Assert.Equal([0, 1, 2, 3, 4], plan.Unit("experts").MissingTasks());
        _dir.WriteText("experts/expert_0002.safetensors", "x");
        Assert.Contains(2, plan.Unit("experts").MissingTasks());          // no metadata yet: unfinished
        _dir.WriteText("experts/expert_0002.json", "{}");
        Assert.Equal([0, 1, 3, 4], plan.Unit("experts").MissingTasks());
        _dir.WriteText("window/beta-0.4.json", "{}");
        Assert.Equal([0, 1, 3, 4], plan.Unit("window").MissingTasks());
        var state = PipelineState.LoadOrCreate(_dir.Path, Demo().ToJsonNode());
        state.ChosenBeta = 0.4;
        state.Rows["window"] = new PipelineState.EvaluatedRow("Window only", 0.8, 0.01, [0.79, 0.81], 3, "");
        state.Save(_dir.Path);
        Assert.Empty(plan.Unit("choose-beta").MissingTasks());
        Assert.Equal([0, 1, 2, 6, 7, 8, 9, 10, 11], plan.Unit("evaluate").MissingTasks());
        _dir.WriteText("eval/mtt/net-1.json", "{\"accuracy\": 0.5}");
        Assert.Equal([0, 1, 2, 6, 8, 9, 10, 11], plan.Unit("evaluate").MissingTasks());
        Assert.False(plan.Complete);
    }

    [Fact]
    public void ConcurrentSavesOfTheRunStateLoseNoStageOrRow()
    {
        var recipe = Demo().ToJsonNode();
        // Two tasks load the state at the same time, each finishes its own work and saves.
        var a = PipelineState.LoadOrCreate(_dir.Path, recipe);
        var b = PipelineState.LoadOrCreate(_dir.Path, recipe);
        a.Stages.Add(new PipelineState.StageTime("distill mtt", 10));
        a.Rows["random"] = new PipelineState.EvaluatedRow("Random", 0.5, 0.1, [0.4, 0.6], 0, "");
        b.Stages.Add(new PipelineState.StageTime("distill selmatch", 12));
        b.ChosenBeta = 0.2;
        b.RandomOnChoice = DDist.Evaluation.EvalResult.From([0.7, 0.8]);
        a.Save(_dir.Path);
        b.Save(_dir.Path);
        var merged = PipelineState.Load(_dir.Path);
        Assert.True(merged.Done("distill mtt") && merged.Done("distill selmatch"));
        Assert.Equal(0.2, merged.ChosenBeta);
        Assert.Equal([0.7, 0.8], merged.RandomOnChoice!.Accuracies);
        Assert.True(merged.Rows.ContainsKey("random"));
        Parallel.For(0, 8, i =>
        {
            var s = PipelineState.LoadOrCreate(_dir.Path, recipe);
            s.Stages.Add(new PipelineState.StageTime($"stage {i}", i));
            s.Work.Add(new PipelineState.WorkTime("experts", 1, $"task {i}"));   // eight tasks of one stage
            s.Save(_dir.Path);
        });
        Assert.All(Enumerable.Range(0, 8), i => Assert.True(PipelineState.Load(_dir.Path).Done($"stage {i}")));
        // Each task's time is kept once, however often the states holding it were merged.
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"task {i}").Order(), PipelineState.Load(_dir.Path).Work.Select(w => w.Id).Order());
        Assert.Equal(TimeSpan.FromSeconds(8), PipelineState.Load(_dir.Path).TimeOf("experts"));
    }

    [Theory]
    [InlineData(new[] { 0, 1, 2, 3 }, "0-3")]
    [InlineData(new[] { 1, 3, 4, 5, 9 }, "1,3-5,9")]
    [InlineData(new[] { 7 }, "7")]
    public void ArrayRangesAreCompact(int[] tasks, string expected) => Assert.Equal(expected, SlurmExecutor.ArrayRanges(tasks));

    /// <summary>squeue's answer scripted, sbatch calls recorded: what the executor submits, not how Slurm runs it.</summary>
    private sealed class ScriptedSlurm : SlurmClient
    {
        public List<SlurmTaskState> Queue { get; } = new();
        public List<IReadOnlyList<string>> Submitted { get; } = new();
        public List<string> Cancelled { get; } = new();
        public override string Submit(IReadOnlyList<string> args) { Submitted.Add(args); return (100 + Submitted.Count).ToString(); }
        public override IReadOnlyList<SlurmTaskState> Query(IReadOnlyCollection<string> ids) => Queue.Where(q => ids.Contains(q.JobId)).ToList();
        public override void Cancel(IReadOnlyCollection<string> ids) => Cancelled.AddRange(ids);
    }

    [Fact]
    public void SubmissionChainsUnitsRefusesWhileQueuedAndResubmitsOnlyMissingTasks()
    {
        var slurm = new ScriptedSlurm();
        var executor = new SlurmExecutor(slurm, new SlurmOptions { MaxParallel = 2, Partition = "gpu", GpusPerTask = 1, ExtraArguments = ["--mem=8G"] },
                                         ["ddist"], _dir.Path);
        var plan = new StagePlan(Demo(), _dir.Path);
        var first = executor.Submit(plan, "recipe.json");
        Assert.Equal(12, first.Jobs.Count);
        var experts = slurm.Submitted[0];
        Assert.Contains("--array=0-4%2", experts);
        Assert.Contains("--partition=gpu", experts);
        Assert.Contains("--gpus-per-task=1", experts);
        Assert.Equal("--mem=8G", experts[^2]);
        Assert.DoesNotContain(experts, a => a.StartsWith("--dependency"));
        Assert.Contains("--dependency=afterok:101", slurm.Submitted[1]);       // forgetting runs after the experts
        Assert.Contains("--dependency=afterok:105", slurm.Submitted[5]);       // halving round 2 after round 1
        Assert.Contains("--dependency=afterok:109:110", slurm.Submitted[10]);   // evaluation after both distillations
        Assert.Contains("--task \"$SLURM_ARRAY_TASK_ID\"", File.ReadAllText(first.Jobs[0].Script));

        // Expert 1 runs, the rest waits: a new submission is refused, naming the running job.
        slurm.Queue.Add(new SlurmTaskState("101", "1", "RUNNING", "None"));
        slurm.Queue.Add(new SlurmTaskState("102", "0", "PENDING", "Dependency"));
        var refused = Assert.Throws<RunFolderBusyException>(() => executor.Submit(plan, "recipe.json"));
        Assert.Contains("job 101: 1 RUNNING", refused.Message);

        // Expert 1 was cancelled, the others finished: the forgetting job can never start, nor anything after it.
        slurm.Queue.Clear();
        slurm.Queue.Add(new SlurmTaskState("101", "1", "CANCELLED", "None"));
        slurm.Queue.Add(new SlurmTaskState("102", "0", "PENDING", "DependencyNeverSatisfied"));
        slurm.Queue.Add(new SlurmTaskState("103", "0", "PENDING", "Dependency"));
        foreach (var k in new[] { 0, 2, 3, 4 })
        {
            _dir.WriteText($"experts/expert_{k:D4}.safetensors", "x");
            _dir.WriteText($"experts/expert_{k:D4}.json", "{}");
        }
        var progress = RunProgress.Read(plan, SlurmJobs.TryLoad(_dir.Path), slurm);
        Assert.True(progress.Stopped);
        var second = executor.Submit(plan, "recipe.json");
        Assert.Equal(["102", "103"], second.CancelledStranded);
        Assert.Equal(12, second.Jobs.Single(j => j.Unit == "evaluate").Tasks.Length);
        Assert.Equal([1], second.Jobs[0].Tasks);
        Assert.Contains("--array=1%2", slurm.Submitted[12]);
        Assert.Equal(2, SlurmJobs.TryLoad(_dir.Path)!.Submissions.Count);
    }
}
