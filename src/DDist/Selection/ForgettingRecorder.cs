using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Selection;

/// <summary>Counts forgetting events (Toneva et al. 2019) while a training loop runs: for every presentation of an
/// example in a mini-batch it is fed whether the pre-step prediction was correct and the example's loss. A forgetting
/// event is a correct presentation followed by an incorrect one (1→0 between consecutive presentations). The same
/// presentations also give each example's learning speed (Jiang et al. 2021): the mean softmax probability of its true
/// label, exp(−loss), over all of them.</summary>
public sealed class ForgettingRecorder
{
    private readonly sbyte[] _last;        // -1 never presented, else the last correctness (0/1)
    private readonly int[] _forgotten;     // 1→0 transitions
    private readonly int[] _presentations;
    private readonly bool[] _everLearned;
    private readonly double[] _lossSum;
    private readonly double[] _confidenceSum;   // Σ exp(−loss): the true label's softmax probability per presentation

    public ForgettingRecorder(int exampleCount)
    {
        if (exampleCount <= 0) throw new ArgumentOutOfRangeException(nameof(exampleCount), "need at least one example");
        _last = new sbyte[exampleCount];
        Array.Fill(_last, (sbyte)-1);
        _forgotten = new int[exampleCount];
        _presentations = new int[exampleCount];
        _everLearned = new bool[exampleCount];
        _lossSum = new double[exampleCount];
        _confidenceSum = new double[exampleCount];
    }

    public int Count => _last.Length;

    /// <summary>One mini-batch: the training indices it held, whether each was classified correctly, and each loss.</summary>
    public void Record(ReadOnlySpan<long> indices, ReadOnlySpan<bool> correct, ReadOnlySpan<double> losses)
    {
        if (correct.Length != indices.Length || losses.Length != indices.Length)
            throw new ArgumentException($"batch of {indices.Length} indices got {correct.Length} correctness flags and {losses.Length} losses");
        for (int k = 0; k < indices.Length; k++)
        {
            var i = checked((int)indices[k]);
            if ((uint)i >= (uint)_last.Length) throw new ArgumentOutOfRangeException(nameof(indices), $"index {i} outside [0, {_last.Length})");
            sbyte now = correct[k] ? (sbyte)1 : (sbyte)0;
            if (_last[i] == 1 && now == 0) _forgotten[i]++;
            if (now == 1) _everLearned[i] = true;
            _last[i] = now;
            _presentations[i]++;
            _lossSum[i] += losses[k];
            _confidenceSum[i] += Math.Exp(-losses[k]);
        }
    }

    /// <summary>One mini-batch from its logits (N,K) and labels (N): correctness is argmax = label, loss the
    /// per-example cross-entropy. Call with the forward pass used for the step, before the optimiser update.</summary>
    public void Record(ReadOnlySpan<long> indices, Tensor logits, Tensor labels)
    {
        using var scope = new TensorScope();
        using var noGrad = Tensors.NoGrad();
        var correct = logits.ArgMax(1).Eq(labels).ToArray<bool>();
        var losses = Functional.CrossEntropy(logits, labels, Reduction.None).To(DType.Float64).ToArray<double>();
        Record(indices, correct, losses);
    }

    /// <summary>Forgetting count per example for this run. Examples that were never classified correctly count as
    /// many events as they had presentations (the official code's rule), so they rank as the most forgettable.</summary>
    public int[] ForgettingCounts()
    {
        var r = new int[_last.Length];
        for (int i = 0; i < r.Length; i++)
        {
            if (_presentations[i] == 0) throw new InvalidOperationException($"example {i} was never presented; a forgetting count needs every example in at least one mini-batch");
            r[i] = _everLearned[i] ? _forgotten[i] : _presentations[i];
        }
        return r;
    }

    public int[] Presentations() => (int[])_presentations.Clone();

    /// <summary>Mean loss over this run's presentations of each example.</summary>
    public double[] MeanLoss() => _lossSum.Select((s, i) => _presentations[i] == 0 ? double.NaN : s / _presentations[i]).ToArray();

    /// <summary>Mean softmax probability of the true label over this run's presentations of each example (NaN for an
    /// example whose sums were restored from a checkpoint written before they were kept).</summary>
    public double[] MeanConfidence() => _confidenceSum.Select((s, i) => _presentations[i] == 0 ? double.NaN : s / _presentations[i]).ToArray();

    /// <summary>Examples never classified correctly in this run.</summary>
    public bool[] NeverLearned() => _everLearned.Select(l => !l).ToArray();

    /// <summary>This run's result, ready to combine with other runs; <paramref name="seconds"/> what training it took.</summary>
    public ForgettingRun ToRun(double? seconds = null)
    {
        var confidence = MeanConfidence();
        return new(ForgettingCounts(), MeanLoss(), NeverLearned(), seconds, confidence.Any(double.IsNaN) ? null : confidence);
    }

    /// <summary>Everything counted so far, as checkpoint tensors (<c>forgetting.*</c>); <see cref="LoadState"/> reads them
    /// back so that a resumed run counts on from exactly here.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> StateTensors() =>
    [
        new("forgetting.last", Tensors.FromArray(_last.Select(v => (byte)(v + 1)).ToArray())),   // 0 never presented, 1 wrong, 2 right
        new("forgetting.forgotten", Tensors.FromArray(_forgotten)),
        new("forgetting.presentations", Tensors.FromArray(_presentations)),
        new("forgetting.ever_learned", Tensors.FromArray(_everLearned.Select(b => (byte)(b ? 1 : 0)).ToArray())),
        new("forgetting.loss_sum", Tensors.FromArray(_lossSum)),
        new("forgetting.confidence_sum", Tensors.FromArray(_confidenceSum)),
    ];

    /// <summary>Restores what <see cref="StateTensors"/> wrote into <paramref name="file"/>; an error naming the file and
    /// the tensor when one is missing or counts another number of examples.</summary>
    public void LoadState(SafeTensorsFile file)
    {
        T[] Read<T>(string name) where T : unmanaged
        {
            using var t = file.ReadRequired(name);
            if (t.NumEl != Count) throw new InvalidDataException($"{file.Path}: tensor '{name}' counts {t.NumEl} examples, expected {Count}");
            return t.ToArray<T>();
        }
        var last = Read<byte>("forgetting.last");
        for (int i = 0; i < Count; i++) _last[i] = (sbyte)(last[i] - 1);
        Read<int>("forgetting.forgotten").CopyTo(_forgotten, 0);
        Read<int>("forgetting.presentations").CopyTo(_presentations, 0);
        var learned = Read<byte>("forgetting.ever_learned");
        for (int i = 0; i < Count; i++) _everLearned[i] = learned[i] != 0;
        Read<double>("forgetting.loss_sum").CopyTo(_lossSum, 0);
        // A checkpoint from before the confidence was kept resumes the forgetting counts; the run then has no
        // learning speed (NaN here, null in its ForgettingRun) and learning-speed scores ask for it to be retrained.
        if (file.Contains("forgetting.confidence_sum")) Read<double>("forgetting.confidence_sum").CopyTo(_confidenceSum, 0);
        else Array.Fill(_confidenceSum, double.NaN);
    }
}

/// <summary>The outcome of one training run: forgetting count (never-learned examples counted as forgotten at every
/// presentation, Toneva et al.'s rule), mean loss and which examples were never learned, per example, the seconds the
/// run took (null when not recorded) and the mean true-label confidence (the learning speed; null for a run kept by
/// a version that did not record it).</summary>
public sealed record ForgettingRun(int[] Counts, double[] MeanLoss, bool[] NeverLearned, double? Seconds = null, double[]? MeanConfidence = null)
{
    /// <summary>The counts under <paramref name="rule"/>.</summary>
    public int[] CountsUnder(NeverLearnedRule rule) =>
        rule == NeverLearnedRule.Zero ? Counts.Select((c, i) => NeverLearned[i] ? 0 : c).ToArray() : Counts;
}
