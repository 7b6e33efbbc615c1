using DDist.Evaluation;
using DDist.Pipeline;
using DDist.Tests.Data;

namespace DDist.Tests.Pipeline;

/// <summary>An evaluation kept network by network: interrupted, it resumes at the network it was in (finished networks
/// are read, not trained again) and assembles to the evaluation of one uninterrupted pass.</summary>
public sealed class NetworkResultsTests : IDisposable
{
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    private static double Accuracy(int network) => 0.5 + 0.1 * network;

    [Fact]
    public void AnInterruptedEvaluationResumesAtTheNetworkItWasIn()
    {
        var dir = _dir.Combine("eval", "mtt");
        var trained = new List<int>();
        Assert.Throws<OperationCanceledException>(() => NetworkResults.EvaluateEach(dir, "mtt", 4, "set-a", k =>
        {
            if (k == 2) throw new OperationCanceledException();   // Ctrl+C while network 2 trains
            trained.Add(k);
            return Accuracy(k);
        }));
        Assert.True(File.Exists(NetworkResults.FileIn(dir, 1)));
        Assert.False(File.Exists(NetworkResults.FileIn(dir, 2)));
        Assert.Null(NetworkResults.TryAssemble(dir, 4, "set-a"));

        var result = NetworkResults.EvaluateEach(dir, "mtt", 4, "set-a", k => { trained.Add(k); return Accuracy(k); });
        Assert.Equal([0, 1, 2, 3], trained);   // 0 and 1 once, before the interruption
        var whole = EvalResult.From([0.5, 0.6, 0.7, 0.8]);
        Assert.Equal((whole.Mean, whole.Std), (result.Mean, result.Std));
        Assert.Equal(whole.Accuracies, result.Accuracies);
        Assert.True(result.Elapsed > TimeSpan.Zero);   // the networks' own times, summed
    }

    [Fact]
    public void AResultOfAnotherSetIsRedone_AndABadFileIsNamed()
    {
        var dir = _dir.Combine("eval", "random");
        NetworkResults.EvaluateEach(dir, "random", 2, "set-a", Accuracy);
        // The set was remade in the same folder: its networks train again; a file from before sets were named too.
        File.WriteAllText(NetworkResults.FileIn(dir, 0), """{"row":"random","network":0,"accuracy":0.25,"seconds":1}""");
        var trained = new List<int>();
        var r = NetworkResults.EvaluateEach(dir, "random", 2, "set-b", k => { trained.Add(k); return 0.9; });
        Assert.Equal([0, 1], trained);
        Assert.Equal(0.9, r.Mean);
        Assert.Null(NetworkResults.TryAssemble(dir, 2, "set-a"));

        File.WriteAllText(NetworkResults.FileIn(dir, 1), """{"row":"random","network":1,"set":"set-b","seconds":1}""");
        var e = Assert.Throws<InvalidDataException>(() => NetworkResults.TryAssemble(dir, 2, "set-b"));
        Assert.Contains(NetworkResults.FileIn(dir, 1), e.Message);
        Assert.Contains("'accuracy'", e.Message);
    }
}
