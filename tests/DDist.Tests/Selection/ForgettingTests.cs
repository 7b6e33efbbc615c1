using DDist.Selection;
using DDist.Torch;

namespace DDist.Tests.Selection;

public class ForgettingTests
{
    // Presentation-by-presentation correctness of 5 examples over 4 epochs, and the hand count of forgetting events.
    private static readonly bool[][] Flags =
    [
        [true, false, true, false],   // 1→0 twice                      → 2
        [false, false, false, false], // never learned                  → 4 (= presentations)
        [false, true, true, true],    // learned, never forgotten       → 0
        [true, true, false, true],    // one 1→0                        → 1
        [true, true, true, false],    // forgotten at the end           → 1
    ];
    private static readonly int[] HandCount = [2, 4, 0, 1, 1];

    private static ForgettingRecorder Feed(bool[][] flags, double[] lossPerExample, int seed)
    {
        int n = flags.Length, epochs = flags[0].Length;
        var recorder = new ForgettingRecorder(n);
        var rng = new Random(seed);
        for (int e = 0; e < epochs; e++)
        {
            // A shuffled order split into uneven mini-batches, as a training loop would present them.
            var order = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToArray();
            foreach (var chunk in new[] { order[..2], order[2..] })
                recorder.Record(chunk.Select(i => (long)i).ToArray(), chunk.Select(i => flags[i][e]).ToArray(), chunk.Select(i => lossPerExample[i]).ToArray());
        }
        return recorder;
    }

    [Fact]
    public void CountsMatchHandCountIncludingNeverLearned()
    {
        var r = Feed(Flags, [1, 2, 3, 4, 5], seed: 1);
        Assert.Equal(HandCount, r.ForgettingCounts());
        Assert.Equal([4, 4, 4, 4, 4], r.Presentations());
        Assert.Equal([1.0, 2, 3, 4, 5], r.MeanLoss());
    }

    [Fact]
    public void RunsAreAveragedAndTiesBrokenByMeanLoss()
    {
        var run1 = Feed(Flags, [0.5, 2, 0.1, 0.7, 0.3], seed: 2).ToRun();
        // Second run: example 2 is forgotten once, example 1 learned at the last presentation.
        bool[][] flags2 = [[true, false, true, false], [false, false, false, true], [true, false, true, true], [true, true, false, true], [true, true, true, false]];
        var run2 = Feed(flags2, [0.5, 2, 0.1, 0.9, 0.3], seed: 3).ToRun();
        Assert.Equal([2, 0, 1, 1, 1], run2.Counts);

        var scores = ForgettingScores.Combine([run1, run2], "toy", "test", [0, 0, 0, 0, 0]);
        Assert.Equal([2.0, 2.0, 0.5, 1.0, 1.0], scores.Scores);
        Assert.Equal(ForgettingScores.TieBreakName, scores.TieBreakName);

        // Hardest first: 2.0 ties between 0 (loss 0.5) and 1 (loss 2) → 1 first; 1.0 ties between 3 (loss 0.8) and 4 (0.3) → 3 first.
        var ranking = DifficultyRanking.Build(scores, [0, 0, 0, 0, 0], 1);
        Assert.Equal([1, 0, 3, 4, 2], ranking.Class(0));
    }

    [Fact]
    public void DeepCoresRuleScoresNeverLearnedExamplesZero()
    {
        var run = Feed(Flags, [1, 2, 3, 4, 5], seed: 1).ToRun();
        Assert.Equal([false, true, false, false, false], run.NeverLearned);
        Assert.Equal(HandCount, run.CountsUnder(NeverLearnedRule.MostForgotten));
        Assert.Equal([2, 0, 0, 1, 1], run.CountsUnder(NeverLearnedRule.Zero));

        // Most-forgotten first: Toneva's rule puts the never-learned example 1 on top, DeepCore's ties it with the
        // unforgettable example 2 (then the higher loss, 2 < 3, ranks example 2 above it).
        var toneva = DifficultyRanking.Build(ForgettingScores.Combine([run], "toy", "test", [0, 0, 0, 0, 0]), [0, 0, 0, 0, 0], 1);
        var deepCore = DifficultyRanking.Build(ForgettingScores.Combine([run], "toy", "test", [0, 0, 0, 0, 0], NeverLearnedRule.Zero), [0, 0, 0, 0, 0], 1);
        Assert.Equal([1, 0, 4, 3, 2], toneva.Class(0));
        Assert.Equal([0, 4, 3, 2, 1], deepCore.Class(0));
    }

    [Theory]
    [InlineData(null, NeverLearnedRule.MostForgotten)]
    [InlineData("most-forgotten", NeverLearnedRule.MostForgotten)]
    [InlineData("zero", NeverLearnedRule.Zero)]
    public void TheRuleIsReadFromTheSettings(string? text, NeverLearnedRule expected)
    {
        var settings = new ForgettingSettings { NeverLearned = text };
        Assert.Equal(expected, settings.NeverLearnedRule);
        var e = new FieldErrors();
        settings.Check(e.In("forgetting"));
        Assert.Empty(e.All);
    }

    [Fact]
    public void AnUnknownRuleIsNamedByItsField()
    {
        var e = new FieldErrors();
        new ForgettingSettings { NeverLearned = "never" }.Check(e.In("forgetting"));
        Assert.Contains(e.All, m => m.Contains("'forgetting.neverLearned'") && m.Contains("'never'") && m.Contains("'zero'"));
    }

    [Fact]
    public void RecordFromLogitsUsesArgmaxAndPerExampleLoss()
    {
        using var scope = new TensorScope();
        var r = new ForgettingRecorder(3);
        var logits = Tensors.FromArray(new float[] { 2, 0, 0, 3, 1, 0 }, 3, 2);
        var labels = Tensors.FromArray(new long[] { 0, 0, 0 });
        r.Record([2, 0, 1], logits, labels);     // rows: correct, wrong, correct
        r.Record([2, 0, 1], Tensors.FromArray(new float[] { 0, 2, 0, 3, 1, 0 }, 3, 2), labels); // wrong, wrong, correct
        Assert.Equal([2, 0, 1], r.ForgettingCounts()); // example 0 never learned → 2; example 2 forgotten once
        double expected = (Math.Log(1 + Math.Exp(-2)) + Math.Log(1 + Math.Exp(2))) / 2; // CE of [2,0] then [0,2] for class 0
        Assert.Equal(expected, r.MeanLoss()[2], 5);
    }
}
