using DDist.Artifacts;
using DDist.Evaluation;
using DDist.Torch;

namespace DDist.Distillation;

/// <summary>The best set so far among a trajectory-matching run's evaluations at evalIterations (MTT `distill.py`
/// and DATM `distill/DATM.py` keep `images_best` / `label_best` the same way), and every evaluation made to find it:
/// copies of the images, the step-size parameter and, for DATM, the label logits at the best iteration.</summary>
public sealed class BestIteration : IDisposable
{
    public Tensor? Images { get; private set; }
    public Tensor? LrParam { get; private set; }
    /// <summary>The label logits at the best iteration (DATM / TESLA); null for hard-label runs.</summary>
    public Tensor? Labels { get; private set; }
    public int Iteration { get; private set; } = -1;
    public EvalResult? Accuracy { get; private set; }
    /// <summary>Whether the kept set is the images' moving average (FTD) rather than the images.</summary>
    public bool KeptAverage { get; private set; }
    public List<SelectionPoint> Evaluated { get; } = [];

    /// <summary>Whether the set at <paramref name="iteration"/> was evaluated already (a checkpoint written after the
    /// last iteration holds that iteration's evaluation).</summary>
    public bool Has(int iteration) => Evaluated.Any(e => e.Iteration == iteration);

    /// <summary>Scores the set as it stands at <paramref name="iteration"/> (disposing <paramref name="set"/>) and records
    /// the result. libtorch's generators (the CPU's and, on a GPU, the GPU's) are restored afterwards, so evaluating (or
    /// not) never changes the distillation's random stream. <paramref name="average"/> marks the images' moving average.</summary>
    public void Score(int iteration, SmallSet set, Func<SmallSet, EvalResult> evaluate, Tensor images, Tensor lrParam, Tensor? labels = null,
                      bool average = false)
    {
        EvalResult accuracy;
        using (var rngState = RngSnapshot.Take(images.Device))
        {
            using (set) accuracy = evaluate(set);
            rngState.Restore();
        }
        Record(iteration, accuracy, images, lrParam, labels, average);
    }

    /// <summary>Records an evaluation and keeps copies of the set's tensors when it beats the best so far (a tie keeps
    /// the earlier evaluation: the earlier iteration, and at one iteration the images over their average).</summary>
    public void Record(int iteration, EvalResult accuracy, Tensor images, Tensor lrParam, Tensor? labels = null, bool average = false)
    {
        Evaluated.Add(new SelectionPoint(iteration, accuracy.Mean, accuracy.Std, accuracy.Diverged, accuracy.Accuracies.Length, average));
        if (Accuracy is not null && accuracy.Mean <= Accuracy.Mean) return;
        Keep(images, lrParam, labels);
        Iteration = iteration;
        Accuracy = accuracy;
        KeptAverage = average;
    }

    /// <summary>Takes back what a checkpoint kept (tensors copied onto <paramref name="like"/>'s type and device).</summary>
    public void Restore(Tensor? images, Tensor? lrParam, Tensor? labels, int iteration, double mean, double std, double[] accuracies,
                        IReadOnlyList<SelectionPoint> evaluated, Tensor like)
    {
        Evaluated.AddRange(evaluated);
        if (images is null || lrParam is null) return;
        using (var scope = new TensorScope())
            Keep(images.To(like.DType, like.Device), lrParam.To(like.DType, like.Device), labels?.To(like.DType, like.Device));
        Iteration = iteration;
        // The kept evaluation is the first at that iteration with the kept mean (ties keep the earlier one, as Record).
        var kept = evaluated.FirstOrDefault(e => e.Iteration == iteration && e.Mean == mean) ?? evaluated.FirstOrDefault(e => e.Iteration == iteration);
        Accuracy = new EvalResult(mean, std, accuracies, Diverged: kept?.Diverged ?? 0);
        KeptAverage = kept?.Average ?? false;
    }

    /// <summary>The progress line's key of the latest average's accuracy (FTD), beside the images' "acc".</summary>
    public const string AverageAccuracyKey = "avg_acc";

    /// <summary>Adds the latest evaluation's accuracy (and its diverged networks, if any) to a progress line's metrics;
    /// where the latest scored the images' moving average, the images' at that iteration is "acc" and the average's
    /// <see cref="AverageAccuracyKey"/>.</summary>
    public Dictionary<string, double> AddLatest(Dictionary<string, double> metrics)
    {
        if (Evaluated.Count == 0) return metrics;
        var (last, images) = (Evaluated[^1], Evaluated.Last(e => !e.Average));
        metrics["acc"] = images.Mean;
        if (last.Average) metrics[AverageAccuracyKey] = last.Mean;
        if (images.Diverged + (last.Average ? last.Diverged : 0) is var diverged and > 0) metrics["diverged"] = diverged;
        return metrics;
    }

    private void Keep(Tensor images, Tensor lrParam, Tensor? labels)
    {
        using var noGrad = Tensors.NoGrad();
        DisposeTensors();
        Images = images.Detach().Clone().DetachFromScope();
        LrParam = lrParam.Detach().Clone().DetachFromScope();
        Labels = labels?.Detach().Clone().DetachFromScope();
    }

    private void DisposeTensors()
    {
        Images?.Dispose();
        LrParam?.Dispose();
        Labels?.Dispose();
        (Images, LrParam, Labels) = (null, null, null);
    }

    public void Dispose() => DisposeTensors();

    /// <summary>How distill.json names where the best iteration was chosen.</summary>
    public static string SelectedOnText(SelectOn on) =>
        on == SelectOn.Test ? "test (reference protocol: model selection on the test set)" : "validation split";

    /// <summary>An accuracy as distill.json has always held it (no wall time: it is the run's, reported beside it).</summary>
    public static object? Summary(EvalResult? r) =>
        r is null ? null : r.Diverged > 0 ? new { r.Mean, r.Std, r.Accuracies, r.Diverged } : new { r.Mean, r.Std, r.Accuracies };

    // The evaluations in a checkpoint: four tensors of one length, absent when none was made; a fifth, the networks
    // that scored each, is absent from checkpoints written before it was kept; a sixth, which evaluations scored the
    // images' moving average (FTD), is written only by runs that made such evaluations.
    private static readonly string[] EvalTensors = ["eval_iteration", "eval_mean", "eval_std", "eval_diverged"];
    private const string NetworksTensor = "eval_networks";
    private const string AverageTensor = "eval_average";

    /// <summary>Adds the evaluations to a checkpoint's tensors (nothing when there are none).</summary>
    public static void AddEvaluations(ICollection<KeyValuePair<string, Tensor>> tensors, IReadOnlyList<SelectionPoint> evaluations)
    {
        if (evaluations.Count == 0) return;
        tensors.Add(new(EvalTensors[0], Tensors.FromArray(evaluations.Select(p => (long)p.Iteration).ToArray())));
        tensors.Add(new(EvalTensors[1], Tensors.FromArray(evaluations.Select(p => p.Mean).ToArray())));
        tensors.Add(new(EvalTensors[2], Tensors.FromArray(evaluations.Select(p => p.Std).ToArray())));
        tensors.Add(new(EvalTensors[3], Tensors.FromArray(evaluations.Select(p => (long)p.Diverged).ToArray())));
        tensors.Add(new(NetworksTensor, Tensors.FromArray(evaluations.Select(p => (long)p.Networks).ToArray())));
        if (evaluations.Any(p => p.Average)) tensors.Add(new(AverageTensor, Tensors.FromArray(evaluations.Select(p => p.Average ? 1L : 0L).ToArray())));
    }

    /// <summary>The evaluations a checkpoint kept, or none (a checkpoint from before they were kept).</summary>
    public static IReadOnlyList<SelectionPoint> LoadEvaluations(string path, IReadOnlyDictionary<string, Tensor> t)
    {
        if (!EvalTensors.Any(t.ContainsKey)) return [];
        if (EvalTensors.FirstOrDefault(n => !t.ContainsKey(n)) is { } missing) throw new InvalidDataException($"{path}: tensor '{missing}' missing beside the other eval_ tensors");
        var (iterations, means, stds, diverged) = (t[EvalTensors[0]].ToArray<long>(), t[EvalTensors[1]].ToArray<double>(), t[EvalTensors[2]].ToArray<double>(), t[EvalTensors[3]].ToArray<long>());
        if (means.Length != iterations.Length || stds.Length != iterations.Length || diverged.Length != iterations.Length)
            throw new InvalidDataException($"{path}: tensors eval_iteration/eval_mean/eval_std/eval_diverged hold {iterations.Length}/{means.Length}/{stds.Length}/{diverged.Length} values, expected one length");
        var networks = t.TryGetValue(NetworksTensor, out var n) ? n.ToArray<long>() : new long[iterations.Length];
        if (networks.Length != iterations.Length)
            throw new InvalidDataException($"{path}: tensor '{NetworksTensor}' holds {networks.Length} values beside {iterations.Length} evaluations");
        var average = t.TryGetValue(AverageTensor, out var a) ? a.ToArray<long>() : new long[iterations.Length];
        if (average.Length != iterations.Length)
            throw new InvalidDataException($"{path}: tensor '{AverageTensor}' holds {average.Length} values beside {iterations.Length} evaluations");
        return iterations.Select((it, i) => new SelectionPoint((int)it, means[i], stds[i], (int)diverged[i], (int)networks[i], average[i] != 0)).ToList();
    }
}
