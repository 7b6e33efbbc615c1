using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DDist.Artifacts;
using DDist.Distillation.Unrolling;
using DDist.Evaluation;
using DDist.Models;
using DDist.Torch;
using DDist.Torch.IO;
using DDist.Training;

namespace DDist.Distillation.SoftLabel;

/// <summary>What a DATM / TESLA-label run produced: the set it kept (the best evaluated one, or the final one when the
/// run evaluated none), its iteration, and every evaluation made to choose it.</summary>
public sealed record SoftLabelMatchingResult(SmallSet Set, IReadOnlyList<LossPoint> Curve, int Updates, int Skipped, int UncoveredLabels, TimeSpan Elapsed)
{
    public int KeptIteration { get; init; }
    public EvalResult? SelectionAccuracy { get; init; }
    public IReadOnlyList<SelectionPoint> SelectionCurve { get; init; } = [];
}

/// <summary>Trajectory matching with soft labels on top of MTT (Cazenavette et al. 2022): DATM (Guo et al. 2024,
/// `distill/DATM.py`) learns label logits initialised from the experts, draws start epochs from a schedule that can
/// widen over time, and skips every update whose matching loss exceeds a threshold; TESLA (Cui et al. 2023) instead
/// labels each iteration's images with the target expert. The per-step loss is soft cross-entropy against the
/// targets; the unrolled matching loss itself is <see cref="TrajectoryMatchingLoss"/>.</summary>
/// <param name="selectionEval">Scores the set (images, labels, step size) at <see cref="TrajectoryMatchingOptions.EvalIterations"/>
/// to keep the best one, as DATM keeps `images_best` and `label_best` (bound to a validation split, or to the test set
/// for <see cref="SelectOn.Test"/>); null keeps the final set.</param>
public sealed class SoftLabelMatching(INetwork student, IExpertTrajectories experts, SyntheticSet synthetic, string normalization,
                                      Func<Tensor, Tensor>? augment = null, SmallSetEvaluation? selectionEval = null)
{
    public SoftLabelMatchingResult Run(TrajectoryMatchingOptions o, SoftLabelMatchingOptions s, CancellationToken ct = default,
                                       IProgress<ProgressReport>? progress = null)
    {
        o.Validate(experts.EpochCount);
        var problems = s.Check(experts.EpochCount, o.ExpertEpochs);
        if (synthetic.FrozenCount != 0) problems.Add("soft-label matching learns every image; the synthetic set must have no frozen part");
        if (synthetic.DistilledCount == 0) problems.Add("the synthetic set is empty");
        if (experts.ExpertCount < 1) problems.Add("no expert trajectories (DATM and TESLA labels need experts; run `ddist experts` first)");
        if (problems.Count > 0) throw new ArgumentException("soft-label matching: " + string.Join("; ", problems));
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(o.OutputDir);
        var x = synthetic.Distilled;
        Tensors.ManualSeed((ulong)o.Seed);

        int uncovered = 0;
        Tensor labelLogits;
        if (s.Labels == LabelSource.Learned)
        {
            int epoch = s.LabelEpoch < 0 ? experts.EpochCount : s.LabelEpoch;
            var finals = Enumerable.Range(0, s.FirstExpertLabels ? 1 : experts.ExpertCount).Select(e => experts.Read(e, epoch).To(x.DType, x.Device).DetachFromScope()).ToList();
            try { (labelLogits, uncovered) = ExpertLabels.MeanOfCorrectExperts(student, finals, x, synthetic.Labels); }
            finally { foreach (var f in finals) f.Dispose(); }
            labelLogits = labelLogits.DetachFromScope().RequiresGrad_();
        }
        else
        {
            using var hard = synthetic.Labels.OneHot(synthetic.NumClasses);
            labelLogits = hard.To(x.DType).DetachFromScope();      // replaced by the teacher's logits every iteration
        }

        using var lrParam = Tensors.Scalar(o.LrInit, x.DType, x.Device).DetachFromScope().RequiresGrad_();
        using var imageOpt = new Sgd(o.Momentum);
        using var lrOpt = new Sgd(o.Momentum);
        using var labelOpt = new Sgd(s.MomentumY);
        var curve = new List<LossPoint>();
        using var best = new BestIteration();
        int skipped = 0, start = 0;
        double priorSeconds = 0;   // what the processes before a resume spent
        var fingerprint = Fingerprint(o, s);
        if (o.Resume && SoftLabelCheckpoint.Restore(o.OutputDir, fingerprint, x, lrParam, labelLogits, imageOpt, lrOpt, labelOpt, best) is { } saved)
        {
            (start, skipped, priorSeconds) = (saved.Next, saved.Skipped, saved.Seconds);
            curve.AddRange(saved.Curve);
        }
        double Seconds() => priorSeconds + clock.Elapsed.TotalSeconds;
        if (start > o.Iterations) throw new InvalidDataException($"{SoftLabelCheckpoint.FileIn(o.OutputDir)}: checkpoint is at iteration {start}, past this run's {o.Iterations}");
        var evalAt = o.EvalIterations.ToHashSet();
        try
        {
            for (int it = start; ; it++)
            {
                if (evalAt.Contains(it) && selectionEval is not null && !best.Has(it)) EvaluateForSelection(it, o, s, lrParam, labelLogits, best, ct);
                if (it == o.Iterations) break;
                ct.ThrowIfCancellationRequested();
                using var scope = new TensorScope();
                var rng = IterationRandom.For(o.Seed, it);
                int expert = rng.Next(experts.ExpertCount);
                int t = s.Range.Draw(rng, it);
                var theta0 = experts.Read(expert, t).To(x.DType, x.Device);
                var target = experts.Read(expert, t + o.ExpertEpochs).To(x.DType, x.Device);
                if (s.Labels == LabelSource.Teacher)
                    using (Tensors.NoGrad()) labelLogits.CopyFrom(ExpertLabels.TeacherLogits(student, target, x));
                var (value, grads) = Gradients(x, labelLogits, lrParam, theta0, target, o, s.Labels == LabelSource.Learned);
                if (!double.IsFinite(value)) throw new DistillationDivergedException(it, $"the matching loss ({value})", null, null);
                // DATM: the loss is always computed and differentiated, but nothing steps (momentum untouched) above the threshold.
                if (value <= s.Threshold)
                {
                    imageOpt.Step(x, grads[0]!, o.LrImg);
                    lrOpt.Step(lrParam, grads[1]!, o.LrLr);
                    if (s.Labels == LabelSource.Learned) labelOpt.Step(labelLogits, grads[2]!, s.LrY);
                }
                else skipped++;
                curve.Add(new LossPoint(it, value, lrParam.Item()));
                progress?.Report(new ProgressReport(o.Method, it + 1, o.Iterations, best.AddLatest(
                    new() { ["loss"] = value, ["lr"] = curve[^1].Lr, ["skipped"] = skipped, ["start_bound"] = s.Range.UpperBound(it) })));
                if (o.CheckpointEvery > 0 && (it + 1) % o.CheckpointEvery == 0 && it + 1 < o.Iterations)
                    SoftLabelCheckpoint.Save(o.OutputDir, fingerprint, it + 1, o.Iterations, skipped, curve, Seconds(), x, lrParam, labelLogits, imageOpt, lrOpt, labelOpt, best);
            }
            SoftLabelCheckpoint.Save(o.OutputDir, fingerprint, o.Iterations, o.Iterations, skipped, curve, Seconds(), x, lrParam, labelLogits, imageOpt, lrOpt, labelOpt, best);
            LossCurve.Save(curve, Path.Combine(o.OutputDir, "loss.json"), Path.Combine(o.OutputDir, "loss.csv"));
            var set = best.Images is null ? ToSmallSet(o, s, x, lrParam.Item(), labelLogits, o.Iterations)
                                          : ToSmallSet(o, s, best.Images, best.LrParam!.Item(), best.Labels!, best.Iteration);
            set.Save(Path.Combine(o.OutputDir, "synthetic.safetensors"));
            var result = new SoftLabelMatchingResult(set, curve, o.Iterations - skipped, skipped, uncovered, TimeSpan.FromSeconds(Seconds()))
            {
                KeptIteration = best.Images is null ? o.Iterations : best.Iteration, SelectionAccuracy = best.Accuracy, SelectionCurve = best.Evaluated,
            };
            WriteSummary(result, o, lrParam.Item());
            return result;
        }
        finally { labelLogits.Dispose(); }
    }

    /// <summary>Scores the current images with their labels and step size (<see cref="BestIteration.Score"/>); keeps
    /// copies when they beat the best so far.</summary>
    private void EvaluateForSelection(int it, TrajectoryMatchingOptions o, SoftLabelMatchingOptions s, Tensor lrParam, Tensor labelLogits,
                                      BestIteration best, CancellationToken ct) =>
        best.Score(it, ToSmallSet(o, s, synthetic.Distilled, lrParam.Item(), labelLogits, it), set => selectionEval!(set, o.EvalBudget, o.Seed, ct),
                   synthetic.Distilled, lrParam, labelLogits);

    /// <summary>distill.json: the run's counts and, when it evaluated, the kept iteration and every evaluation (as MTT's).</summary>
    private static void WriteSummary(SoftLabelMatchingResult r, TrajectoryMatchingOptions o, double finalLr)
    {
        bool chose = r.SelectionCurve.Count > 0;
        AtomicFile.WriteAllText(Path.Combine(o.OutputDir, "distill.json"), JsonSerializer.Serialize(new
        {
            method = o.Method, iterations = o.Iterations, updates = r.Updates, skipped_over_threshold = r.Skipped,
            labels_without_a_correct_expert = r.UncoveredLabels, learned_lr = finalLr, seconds = r.Elapsed.TotalSeconds,
            gradient = o.Unroll == UnrollMode.Tesla ? "tesla (approximate gradient)" : UnrollModes.Name(o.Unroll),
            final_loss = r.Curve.Count > 0 ? r.Curve[^1].Loss : (double?)null,
            best_iteration = chose ? r.KeptIteration : (int?)null,
            kept_lr = chose ? r.Set.LearnedLr : null,
            selected_on = chose ? BestIteration.SelectedOnText(o.SelectOn) : null,
            selection_accuracy = BestIteration.Summary(r.SelectionAccuracy),
            selection_curve = chose ? r.SelectionCurve : null,
        }, new JsonSerializerOptions { WriteIndented = true, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
    }

    /// <summary>The run's settings and starting point; a checkpoint is only resumed by the same experiment.</summary>
    private string Fingerprint(TrajectoryMatchingOptions o, SoftLabelMatchingOptions s)
    {
        ulong h = 14695981039346656037UL;                   // FNV-1a over the initial images' source indices
        foreach (var i in synthetic.SourceIndex) { h ^= (ulong)i; h *= 1099511628211UL; }
        return $"{o.Fingerprint()}|{s.Fingerprint()}|src={h:x16}|net={student.Name}:{student.ParameterCount}";
    }

    /// <summary>The matching loss and its gradients with respect to the images, α and (when <paramref name="learnLabels"/>)
    /// the label logits ŷ, by <see cref="TrajectoryMatchingOptions.Unroll"/>: full unrolling (<see cref="Loss"/>
    /// differentiated once), exact recomputation (bounded memory, the same gradient up to round-off) or TESLA's
    /// approximation, the last two through <see cref="UnrolledGradient"/> with ŷ as the problem's extra leaf.
    /// No gradients when the loss is not finite. Call inside a TensorScope.</summary>
    public (double Loss, Tensor[] Grads) Gradients(Tensor images, Tensor labelLogits, Tensor lr, Tensor theta0, Tensor target,
                                                   TrajectoryMatchingOptions o, bool learnLabels)
    {
        if (o.Unroll == UnrollMode.Full)
        {
            var loss = Loss(images, labelLogits, lr, theta0, target, o);
            double value = loss.Item();
            if (!double.IsFinite(value)) return (value, Array.Empty<Tensor>());
            var inputs = learnLabels ? new[] { images, lr, labelLogits } : new[] { images, lr };
            return (value, Autograd.Grad([loss], inputs).Select(g => g!).ToArray());
        }
        var problem = TrajectoryMatchingLoss.Problem(student, images, labelLogits.Detach().Softmax(1), lr, theta0, target, o.SynSteps, o.BatchSyn,
                                                     augment, out var schedule);
        if (learnLabels)
            problem = problem with
            {
                Extra = labelLogits,
                StepLoss = (logits, idx, y) => Functional.CrossEntropy(logits, y!.Softmax(1).IndexSelect(0, idx)),
            };
        using var _ = schedule;
        using var g = UnrolledGradient.Compute(problem, o.Unroll);
        if (!double.IsFinite(g.Loss)) return (g.Loss, Array.Empty<Tensor>());
        // The engine's tensors die with g; new handles in the caller's scope keep their storage.
        return (g.Loss, learnLabels ? new[] { g.Images.Detach(), g.StepSize.Detach(), g.Extra!.Detach() } : new[] { g.Images.Detach(), g.StepSize.Detach() });
    }

    /// <summary>The matching loss with soft targets softmax(ŷ): differentiable with respect to images, α and ŷ.</summary>
    public Tensor Loss(Tensor images, Tensor labelLogits, Tensor lr, Tensor theta0, Tensor target, TrajectoryMatchingOptions o) =>
        TrajectoryMatchingLoss.Compute(student, images, labelLogits.Softmax(1), lr, theta0, target, o.SynSteps, o.BatchSyn, augment);

    /// <summary>The images with their soft labels and step size as a small set, as they stood at <paramref name="iteration"/>.
    /// TESLA's images have no teacher before iteration 0 has run: then the set keeps its hard labels (the one-hot rows
    /// the label tensor starts from would, as logits, be softmax-smoothed into near-uniform targets).</summary>
    private SmallSet ToSmallSet(TrajectoryMatchingOptions o, SoftLabelMatchingOptions s, Tensor images, double lr, Tensor logits, int iteration)
    {
        bool teacherless = s.Labels == LabelSource.Teacher && iteration == 0;
        var info = new SmallSetInfo
        {
            Dataset = synthetic.Dataset, Normalization = normalization, Method = o.Method, Ipc = synthetic.Ipc,
            NumClasses = synthetic.NumClasses, Seed = (ulong)o.Seed,
            Parameters = new()
            {
                ["student"] = student.Name, ["labels"] = s.Labels == LabelSource.Learned ? "learned logits (DATM)"
                    : teacherless ? "hard (TESLA before its first teacher)" : "teacher logits of the iteration before the kept one (TESLA)",
                ["options"] = o.Fingerprint(), ["soft_label_options"] = s.Fingerprint(),
                ["iterations"] = o.Iterations.ToString(CultureInfo.InvariantCulture),
                ["kept_iteration"] = iteration.ToString(CultureInfo.InvariantCulture),
            },
        };
        var plain = synthetic.ToSmallSet(images, lr, info);
        if (teacherless) return plain;
        SoftLabels soft;
        using (Tensors.NoGrad()) soft = new SoftLabels(logits.Detach().Clone().DetachFromScope(), SoftLabelKind.Logits, s.Labels == LabelSource.Learned ? "datm" : "tesla");
        return new SmallSet
        {
            Images = plain.Images, Labels = plain.Labels, IsDistilled = plain.IsDistilled, SourceIndex = plain.SourceIndex,
            LearnedLr = plain.LearnedLr, Zca = plain.Zca, SoftLabels = soft, Info = plain.Info,
        };
    }
}
