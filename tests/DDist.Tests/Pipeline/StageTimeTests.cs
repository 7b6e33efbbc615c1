using DDist.Pipeline;
using DDist.Pipeline.Stages;
using DDist.Pipeline.Stages.Comparison;
using DDist.Recipes;
using DDist.Tests.Data;

namespace DDist.Tests.Pipeline;

/// <summary>What a run's parts cost, as its reports show them. A stage's time is what every process spent on it: an
/// interrupted process's part counts after the resume, a task the whole stage runs is counted once. A comparison's
/// shared costs are read back from the files they were kept in.</summary>
public sealed class StageTimeTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private static Recipe Demo() => Recipe.Load(Path.Combine(SlurmCluster.RepoRoot, "recipes", "fashion-mnist-ipc10-demo.json"));

    /// <summary>What one process sees: the state as the folder holds it, in a context of its own.</summary>
    private StageContext Process(Recipe recipe) =>
        new(recipe, new RunFolder(_dir.Path), PipelineState.LoadOrCreate(_dir.Path, recipe.ToJsonNode()), new PipelineOptions(), null, null, default);

    [Fact]
    public void AStageInterruptedAndResumedCountsBothProcesses()
    {
        var recipe = Demo();
        const string stage = "distill selmatch";
        using (var first = Process(recipe))
            Assert.Throws<OperationCanceledException>(() => first.Timed(stage, () => { Thread.Sleep(300); throw new OperationCanceledException(); }));
        var interrupted = PipelineState.Load(_dir.Path);
        Assert.False(interrupted.Done(stage));
        var firstPart = Assert.Single(interrupted.Work).Seconds;
        Assert.InRange(firstPart, 0.3, 30);
        Assert.Equal([stage], interrupted.StageTimes().Select(s => s.Stage));   // begun, not finished: shown all the same

        using (var second = Process(recipe))
            second.Timed(stage, () => Thread.Sleep(200));
        var resumed = PipelineState.Load(_dir.Path);
        Assert.True(resumed.Done(stage));
        Assert.Equal(2, resumed.Work.Count);
        Assert.InRange(resumed.Work[1].Seconds, 0.2, 30);
        var total = firstPart + resumed.Work[1].Seconds;
        // (a TimeSpan holds 100 ns ticks, hence the tolerance)
        Assert.Equal(total, resumed.TimeOf(stage).TotalSeconds, 1e-6);
        Assert.Equal(total, resumed.Stages.Single(s => s.Stage == stage).Seconds, 1e-6);   // the finished record holds both
        var listed = Assert.Single(resumed.StageTimes());
        Assert.Equal(stage, listed.Stage);
        Assert.Equal(total, listed.Seconds, 1e-6);
    }

    [Fact]
    public void TasksTheWholeStageRunsAreCountedOnceAndTasksAloneEachCount()
    {
        var recipe = Demo();
        using (var local = Process(recipe))
            local.Timed(ExpertsStage.Label, () => { local.Worked(ExpertsStage.Label, () => Thread.Sleep(50)); local.Worked(ExpertsStage.Label, () => Thread.Sleep(50)); });
        Assert.Single(PipelineState.Load(_dir.Path).Work);

        // Scheduler tasks of another stage, each a process of its own, record no finish but their time.
        for (int task = 0; task < 2; task++)
            using (var scheduled = Process(recipe))
                scheduled.Worked(ForgettingStage.Label, () => Thread.Sleep(100));
        var state = PipelineState.Load(_dir.Path);
        Assert.False(state.Done(ForgettingStage.Label));
        Assert.Equal([ExpertsStage.Label, ForgettingStage.Label], state.StageTimes().Select(s => s.Stage));
        Assert.InRange(state.TimeOf(ForgettingStage.Label).TotalSeconds, 0.2, 60);
    }

    /// <summary>Loading the dataset is recorded apart from the stage that first needs it: every process loads it, and
    /// counted in a stage it made whichever set a resumed process made first look dearer.</summary>
    [RealDataFact("fashion-mnist")]
    public void LoadingTheDataIsRecordedApartFromTheStage()
    {
        using (var run = Process(Demo()))
            run.Timed(ExpertsStage.Label, () => { _ = run.Data; Thread.Sleep(200); });
        var state = PipelineState.Load(_dir.Path);
        var load = state.TimeOf(StageContext.LoadDataLabel).TotalSeconds;
        var experts = state.TimeOf(ExpertsStage.Label).TotalSeconds;
        Assert.InRange(load, 1e-3, 60);
        Assert.InRange(experts, 0.2, 0.2 + 0.5);   // the sleep, not the load
        Assert.Equal([ExpertsStage.Label, StageContext.LoadDataLabel], state.StageTimes().Select(t => t.Stage));
    }

    [Fact]
    public void AFailedStageKeepsItsTimeAndItsError()
    {
        var recipe = Demo();
        using (var run = Process(recipe))
            Assert.Equal("NaN", Assert.Throws<InvalidDataException>(() => run.Timed("scores", () => throw new InvalidDataException("NaN"))).Message);
        Assert.Equal("scores", Assert.Single(PipelineState.Load(_dir.Path).Work).Stage);
    }

    [Fact]
    public void AFolderWrittenBeforeWorkWasRecordedShowsItsFinishedRecords()
    {
        var recipe = Demo();
        var old = PipelineState.LoadOrCreate(_dir.Path, recipe.ToJsonNode());
        old.Stages.Add(new PipelineState.StageTime("experts", 12));
        old.Save(_dir.Path);
        var json = File.ReadAllText(_dir.Combine(PipelineState.FileName));
        File.WriteAllText(_dir.Combine(PipelineState.FileName), System.Text.RegularExpressions.Regex.Replace(json, @",\s*""Work"": \[\s*\]", ""));
        Assert.DoesNotContain("Work", File.ReadAllText(_dir.Combine(PipelineState.FileName)));
        var state = PipelineState.Load(_dir.Path);
        Assert.Equal([("experts", 12.0)], state.StageTimes().Select(s => (s.Stage, s.Seconds)));
        Assert.Equal(TimeSpan.FromSeconds(12), state.TimeOf("experts"));
    }

    [Fact]
    public void AComparisonThatEmbedsNothingReportsTheFeaturesCostItKept()
    {
        var recipe = ComparisonRecipe.Load(Path.Combine(SlurmCluster.RepoRoot, "recipes", "mnist-family-cpu.json"));
        using var resumed = new ComparisonContext(recipe, new RunFolder(_dir.Path), null, null, DDist.Torch.Device.Cpu, default);
        Assert.Empty(resumed.SharedCosts());
        _dir.WriteText(ComparisonContext.FeaturesCostFile, "{\"seconds\": 3.5}");
        Assert.Equal([("embedding features", 3.5)], resumed.SharedCosts().Select(kv => (kv.Key, kv.Value)));

        _dir.WriteText(ComparisonContext.FeaturesCostFile, "{\"secs\": 3.5}");
        using var another = new ComparisonContext(recipe, new RunFolder(_dir.Path), null, null, DDist.Torch.Device.Cpu, default);
        var e = Assert.Throws<InvalidDataException>(() => another.SharedCosts());
        Assert.Contains(ComparisonContext.FeaturesCostFile, e.Message);
        Assert.Contains("'seconds'", e.Message);
    }
}
