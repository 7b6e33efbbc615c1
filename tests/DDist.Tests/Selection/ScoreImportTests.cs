using DDist.Selection;

namespace DDist.Tests.Selection;

public class ScoreImportTests : IDisposable
{
    private const string Shared = "/work/shared/scores";
    private readonly string _dir = Directory.CreateTempSubdirectory("ddist-scores-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void CScoreNpzKeepsTrainingOrderAndLabels()
    {
        var s = ScoreImport.Load(Path.Combine(Shared, "cscores_CIFAR10.npz"), ScoreKind.CScore, "cifar10");
        Assert.Equal(50000, s.Count);
        Assert.Equal(HardEnd.Low, s.Direction);
        Assert.Equal([6L, 9, 9, 4, 1, 1, 2, 7, 8, 3], s.Labels![..10]);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(5000, s.Labels.Count(l => l == c)));
        Assert.InRange(s.Scores.Min(), 0.004, 0.0043);
        Assert.InRange(s.Scores.Max(), 0.914, 0.916);

        // Checked against the dataset's own labels: a disagreeing label is reported with the field and the entry.
        var labels = s.Labels.ToArray();
        s.CheckAgainst(labels, "ok");
        labels[7] = 0;
        var ex = Assert.Throws<InvalidDataException>(() => ScoreImport.Load(Path.Combine(Shared, "cscores_CIFAR10.npz"), ScoreKind.CScore, "cifar10", labels));
        Assert.Contains("'labels' entry 7", ex.Message);
        Assert.Contains("cscores_CIFAR10.npz", ex.Message);
    }

    [Fact]
    public void ForgettingNpyWithWrongLengthNamesFileAndField()
    {
        var path = Path.Combine(Shared, "forgetting_CIFAR100.npy");
        var s = ScoreImport.Load(path, ScoreKind.Forgetting, "cifar100");
        Assert.Equal(50000, s.Count);
        Assert.Equal(HardEnd.High, s.Direction);
        Assert.Null(s.Labels);
        var ex = Assert.Throws<InvalidDataException>(() => ScoreImport.Load(path, ScoreKind.Forgetting, "cifar100", new long[49999]));
        Assert.Contains("forgetting_CIFAR100.npy", ex.Message);
        Assert.Contains("'scores' has 50000 entries", ex.Message);
    }

    [Fact]
    public void CsvWithIndexColumnIsReorderedAndChecked()
    {
        var csv = Path.Combine(_dir, "s.csv");
        File.WriteAllText(csv, "index,label,score\n2,1,0.25\n0,0,0.5\n1,0,1e-3\n");
        var s = ScoreImport.Load(csv, ScoreKind.CScore, "toy", [0, 0, 1]);
        Assert.Equal([0.5, 0.001, 0.25], s.Scores);
        Assert.NotNull(s.Labels);
        Assert.Equal([0L, 0, 1], s.Labels);

        File.WriteAllText(csv, "index,score\n0,0.5\n1,abc\n");
        var ex = Assert.Throws<InvalidDataException>(() => ScoreImport.Load(csv, ScoreKind.CScore, "toy"));
        Assert.Contains("line 3 field 'score'", ex.Message);
        File.WriteAllText(csv, "value\n1\n");
        Assert.Contains("no 'score' column", Assert.Throws<InvalidDataException>(() => ScoreImport.Load(csv, ScoreKind.CScore, "toy")).Message);
    }

    [Fact]
    public void ScoreFileRoundTripsWithMetadata()
    {
        var s = new DifficultyScores
        {
            Scores = [3, 1, 2], Labels = [0, 1, 0], Kind = ScoreKind.Forgetting, Direction = HardEnd.High,
            TieBreak = [0.1, 0.2, 0.3], TieBreakName = "mean_loss", Dataset = "toy", Source = "unit test",
        };
        var path = Path.Combine(_dir, "f.safetensors");
        s.Save(path);
        var r = DifficultyScores.Load(path);
        Assert.Equal(s.Scores, r.Scores);
        Assert.Equal(s.Labels, r.Labels);
        Assert.Equal(s.TieBreak, r.TieBreak);
        Assert.Equal(("mean_loss", ScoreKind.Forgetting, HardEnd.High, "toy", "unit test"), (r.TieBreakName, r.Kind, r.Direction, r.Dataset, r.Source));
        Assert.Null(r.Seconds);
        (s with { Seconds = 12.5 }).Save(path);
        Assert.Equal(12.5, DifficultyScores.Load(path).Seconds);
        // The same file can be imported like a published one, keeping what it is: kind, hard end and tie-break.
        Assert.Equal(s.Scores, ScoreImport.Load(path, ScoreKind.Forgetting, "toy", [0, 1, 0]).Scores);
        var own = ScoreImport.Load(path, kind: null, "toy", [0, 1, 0]);
        Assert.Equal((ScoreKind.Forgetting, HardEnd.High, "mean_loss", Path.GetFullPath(path)), (own.Kind, own.Direction, own.TieBreakName, own.Source));
        Assert.Equal(s.TieBreak, own.TieBreak);
        // Asked for as another kind, it is refused: C-scores are hard at the low end, forgetting scores at the high end.
        var asCScore = Assert.Throws<InvalidDataException>(() => ScoreImport.Load(path, ScoreKind.CScore, "toy"));
        Assert.Contains("metadata field 'kind' is 'forgetting'", asCScore.Message);
        Assert.Contains(path, asCScore.Message);
        Assert.Contains("'direction' is 'high'", Assert.Throws<InvalidDataException>(() => ScoreImport.Load(path, null, "toy", direction: HardEnd.Low)).Message);
        Assert.Contains("'dataset' is 'toy', expected 'mnist'", Assert.Throws<InvalidDataException>(() => ScoreImport.Load(path, null, "mnist")).Message);
    }
}
