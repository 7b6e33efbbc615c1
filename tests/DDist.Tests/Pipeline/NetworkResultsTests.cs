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

    private static EvalResult Accuracy(int network) => EvalResult.From([0.5 + 0.1 * network]);

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
        var r = NetworkResults.EvaluateEach(dir, "random", 2, "set-b", k => { trained.Add(k); return EvalResult.From([0.9]); });
        Assert.Equal([0, 1], trained);
        Assert.Equal(0.9, r.Mean);
        Assert.Null(NetworkResults.TryAssemble(dir, 2, "set-a"));

        File.WriteAllText(NetworkResults.FileIn(dir, 1), """{"row":"random","network":1,"set":"set-b","seconds":1}""");
        var e = Assert.Throws<InvalidDataException>(() => NetworkResults.TryAssemble(dir, 2, "set-b"));
        Assert.Contains(NetworkResults.FileIn(dir, 1), e.Message);
        Assert.Contains("'accuracy'", e.Message);
    }

    [Fact]
    public void ADivergedNetworkIsKept_AssembledAndNamedBesideTheMean()
    {
        var dir = _dir.Combine("eval", "mtt");
        // Network 1 diverged (its own evaluation says so); the kept file says so, and the assembled row counts it.
        var r = NetworkResults.EvaluateEach(dir, "mtt", 3, "set-a", k => EvalResult.From([k == 1 ? 0.1 : 0.8], diverged: k == 1 ? 1 : 0));
        Assert.Equal(1, r.Diverged);
        Assert.Contains("\"diverged\":true", File.ReadAllText(NetworkResults.FileIn(dir, 1)));
        Assert.Contains("\"diverged\":false", File.ReadAllText(NetworkResults.FileIn(dir, 0)));
        Assert.Equal(1, NetworkResults.TryAssemble(dir, 3, "set-a")!.Diverged);
        Assert.Equal("56.67 ± 33.00 (1 of 3 diverged)", r.Percent());
        Assert.Equal("80.00 ± 0.00", EvalResult.From([0.8, 0.8]).Percent());

        // A file from before divergence was recorded reads as not diverged; a field of the wrong kind is named.
        File.WriteAllText(NetworkResults.FileIn(dir, 1), """{"row":"mtt","network":1,"accuracy":0.1,"seconds":1,"set":"set-a"}""");
        Assert.Equal(0, NetworkResults.TryAssemble(dir, 3, "set-a")!.Diverged);
        File.WriteAllText(NetworkResults.FileIn(dir, 1), """{"row":"mtt","network":1,"accuracy":0.1,"seconds":1,"set":"set-a","diverged":1}""");
        var e = Assert.Throws<InvalidDataException>(() => NetworkResults.TryAssemble(dir, 3, "set-a"));
        Assert.Contains("'diverged'", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => EvalResult.From([0.5], diverged: 2));
    }
}
