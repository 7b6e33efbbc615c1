using DDist.Selection;
using DDist.Tests.Data;
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
        // Learning speed: the softmax probability of class 0 at each presentation, averaged.
        static double P0(double a, double b) => Math.Exp(a) / (Math.Exp(a) + Math.Exp(b));
        Assert.Equal((P0(2, 0) + P0(0, 2)) / 2, r.MeanConfidence()[2], 5);
        Assert.Equal(P0(0, 3), r.MeanConfidence()[0], 5);   // rows [0,3] twice
        Assert.Equal(P0(1, 0), r.MeanConfidence()[1], 5);   // rows [1,0] twice
    }

    [Fact]
    public void LearningSpeedIsTheMeanTrueLabelConfidenceOverRuns_LowestRankedHardest()
    {
        // Per-example losses: confidence exp(−loss) is 0.5 / 0.1 / 0.9 / 0.3 / 0.6 in run 1; run 2 moves example 4 to 0.2.
        double[] Loss(params double[] confidence) => confidence.Select(c => -Math.Log(c)).ToArray();
        var run1 = Feed(Flags, Loss(0.5, 0.1, 0.9, 0.3, 0.6), seed: 2).ToRun();
        var run2 = Feed(Flags, Loss(0.5, 0.1, 0.9, 0.3, 0.2), seed: 3).ToRun();
        Assert.Equal([0.5, 0.1, 0.9, 0.3, 0.6], run1.MeanConfidence!.Select(c => Math.Round(c, 12)));

        var scores = LearningSpeedScores.Combine([run1, run2], "toy", "test", [0, 0, 0, 0, 0]);
        Assert.Equal(ScoreKind.LearningSpeed, scores.Kind);
        Assert.Equal(HardEnd.Low, scores.Direction);
        Assert.Null(scores.TieBreak);
        Assert.Equal([0.5, 0.1, 0.9, 0.3, 0.4], scores.Scores.Select(c => Math.Round(c, 12)));
        // Hardest first is least confident first; forgetting counts play no part (example 1, never learned, is hardest
        // here because its confidence is lowest, example 2, never forgotten, easiest because its is highest).
        Assert.Equal([1, 3, 4, 0, 2], DifficultyRanking.Build(scores, [0, 0, 0, 0, 0], 1).Class(0));
    }

    [Fact]
    public void ACheckpointWithoutConfidenceResumesTheCountsAndLeavesTheRunWithoutLearningSpeed()
    {
        using var dir = new TempDir();
        var before = Feed(Flags, [1, 2, 3, 4, 5], seed: 1);
        var path = Path.Combine(dir.Path, "state.safetensors");
        using (var scope = new TensorScope())
        {
            var tensors = before.StateTensors().ToDictionary();
            DDist.Torch.IO.SafeTensors.Save(path, tensors);
            using var file = DDist.Torch.IO.SafeTensorsFile.Open(path);
            var restored = new ForgettingRecorder(5);
            restored.LoadState(file);
            Assert.Equal(before.MeanConfidence(), restored.MeanConfidence());   // kept, exactly

            tensors.Remove("forgetting.confidence_sum");                      // as a checkpoint of an earlier version
            DDist.Torch.IO.SafeTensors.Save(path, tensors);
        }
        var old = new ForgettingRecorder(5);
        using (var file = DDist.Torch.IO.SafeTensorsFile.Open(path)) old.LoadState(file);
        var run = old.ToRun();
        Assert.Equal(HandCount, run.Counts);
        Assert.Null(run.MeanConfidence);
        var refused = Assert.Throws<InvalidDataException>(() => LearningSpeedScores.Combine([run], "toy", "test", runFile: r => $"runs/run-{r}.safetensors"));
        Assert.Contains("runs/run-0.safetensors", refused.Message);
        Assert.Contains("'mean_confidence'", refused.Message);
    }

    [Theory]
    [InlineData("learning-speed", ScoreKind.LearningSpeed, HardEnd.Low)]
    [InlineData("Learning_Speed", ScoreKind.LearningSpeed, HardEnd.Low)]
    [InlineData("forgetting", ScoreKind.Forgetting, HardEnd.High)]
    [InlineData("c-score", ScoreKind.CScore, HardEnd.Low)]
    public void ScoreKindsParseAndKnowTheirHardEnd(string text, ScoreKind kind, HardEnd hard)
    {
        Assert.Equal(kind, ScoreKindExtensions.ParseScoreKind(text, "kind"));
        Assert.Equal(hard, kind.DefaultHardEnd());
        Assert.Equal(kind, ScoreKindExtensions.ParseScoreKind(kind.FileName(), "kind"));
        Assert.Equal(kind != ScoreKind.CScore, kind.IsComputed());
        var e = Assert.Throws<InvalidDataException>(() => ScoreKindExtensions.ParseScoreKind("speed", "scores.kind"));
        Assert.Contains("'learning-speed'", e.Message);
    }
}
