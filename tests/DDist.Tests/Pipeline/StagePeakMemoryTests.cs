using DDist.Pipeline;
using DDist.Pipeline.Stages;
using DDist.Recipes;
using DDist.Tests.Data;
using DDist.Tests.Models;
using DDist.Torch;

namespace DDist.Tests.Pipeline;

/// <summary>Each stage records the most its tensors held at once beside its time, starting anew for each stage; a
/// folder from before the field reads without it. Serial: the tensor count is the process's.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class StagePeakMemoryTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    [Fact]
    public void EachStageRecordsItsOwnPeak()
    {
        var recipe = Recipe.Load(Path.Combine(SlurmCluster.RepoRoot, "recipes", "fashion-mnist-ipc10-demo.json"));
        static long Held() => TensorMemory.Of(Device.Cpu)!.Value.AllocatedBytes;
        long atExperts = 0, atForgetting = 0;
        using (var run = new StageContext(recipe, new RunFolder(_dir.Path), PipelineState.LoadOrCreate(_dir.Path, recipe.ToJsonNode()),
                                          new PipelineOptions(), null, null, default))
        {
            run.Timed(ExpertsStage.Label, () => { atExperts = Held(); using var big = Tensors.Zeros([16L << 20 >> 2]); });         // 16 MiB
            run.Timed(ForgettingStage.Label, () => { atForgetting = Held(); using var small = Tensors.Zeros([4L << 20 >> 2]); });  // 4 MiB
        }
        var state = PipelineState.Load(_dir.Path);
        var experts = state.StageTimes().Single(s => s.Stage == ExpertsStage.Label).PeakMiB!.Value;
        var forgetting = state.StageTimes().Single(s => s.Stage == ForgettingStage.Label).PeakMiB!.Value;
        Assert.InRange(experts - atExperts / 1048576.0, 15.9, 17);   // (recorded to 0.1 MiB)
        Assert.InRange(forgetting - atForgetting / 1048576.0, 3.9, 5);   // the first stage's 16 MiB is not carried over
        Assert.Equal(experts, state.Stages.Single(s => s.Stage == ExpertsStage.Label).PeakMiB);   // the finished record keeps it
        Assert.Contains("\"PeakMiB\"", File.ReadAllText(_dir.Combine(PipelineState.FileName)));

        // A record without the field (an older folder) has no peak, and the stage lists none.
        var old = new PipelineState { Recipe = state.Recipe };
        old.Stages.Add(new PipelineState.StageTime("experts", 12));
        Assert.Null(old.StageTimes().Single().PeakMiB);
    }
}
