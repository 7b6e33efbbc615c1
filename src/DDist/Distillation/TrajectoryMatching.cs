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

namespace DDist.Distillation;

/// <summary>Trajectory-matching distillation with SelMatch's partial update (Cazenavette et al. 2022, MTT
/// `distill.py`; SelMatch, Lee et al. ICML 2024, `distill.py`): only the synthetic set's distilled part and the
/// student's step size (MTT's learnable α, here the learned lr) learn; the frozen selected part joins every student
/// mini-batch unchanged. With no frozen part (SelMatch's distilled fraction 1) and a random real initialisation this
/// is plain MTT. With <see cref="TrajectoryMatchingSettings.EmaDecay"/> the run also keeps the images' moving average
/// (FTD, Du et al., CVPR 2023, `distill_FTD.py`): each evaluation point scores the images and then their average, as
/// FTD's evaluation does, and the better of all is kept; a run that evaluates nothing keeps the average.</summary>
/// <param name="student">The expert architecture; its parameters are always the flat vector θ (train mode, BN on batch statistics).</param>
/// <param name="augment">Non-Siamese DSA for every student mini-batch (null = none).</param>
/// <param name="selectionEval">Scores the set at <see cref="TrajectoryMatchingOptions.EvalIterations"/> to keep the best one
/// (bound to the validation split, or to the test set for <see cref="SelectOn.Test"/>); null keeps the final set.</param>
/// <param name="testEval">Final test accuracy of the chosen set; null skips it.</param>
public sealed class TrajectoryMatching(INetwork student, IExpertTrajectories experts, SyntheticSet synthetic, string normalization,
                                       Func<Tensor, Tensor>? augment = null, SmallSetEvaluation? selectionEval = null,
                                       SmallSetEvaluation? testEval = null)
{
    public static string CheckpointFile(string dir) => Path.Combine(dir, "checkpoint.safetensors");

    public DistillationResult Run(TrajectoryMatchingOptions o, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        o.Validate(experts.EpochCount);
        if (experts.ExpertCount < 1) throw new ArgumentException("no expert trajectories", nameof(experts));
        var total = Stopwatch.StartNew();
        Directory.CreateDirectory(o.OutputDir);
        if (synthetic.DistilledCount == 0) return PureSelection(o, total, ct);

        var x = synthetic.Distilled;
        using var lrParam = Tensors.Scalar(o.LrForm == LrParameterization.Raw ? o.LrInit : Math.Log(o.LrInit), x.DType, x.Device)
                                   .DetachFromScope().RequiresGrad_();
        using var imageOpt = new Sgd(o.Momentum);
        using var lrOpt = new Sgd(o.Momentum);
        // FTD's average starts from the initial images (timm's ModelEmaV2 deep-copies them) and is updated after every step.
        using var ema = o.EmaDecay is null ? null : x.Detach().Clone().DetachFromScope();
        var curve = new List<LossPoint>();
        using var best = new BestIteration();
        int start = 0;
        double priorSeconds = 0;   // spent by the sessions before a resume, as the checkpoint recorded it
        int? savedAt = null;
        Tensors.ManualSeed((ulong)o.Seed);
        var ckPath = CheckpointFile(o.OutputDir);
        if (o.Resume && File.Exists(ckPath))
        {
            (start, priorSeconds) = Restore(ckPath, o, lrParam, imageOpt, lrOpt, ema, curve, best);
            savedAt = start;
        }
        if (start > o.Iterations) throw new InvalidDataException($"{ckPath}: checkpoint is at iteration {start}, past this run's {o.Iterations} iterations");

        var evalAt = o.EvalIterations.ToHashSet();
        var stepTime = new Stopwatch();
        for (int it = start; it <= o.Iterations; it++)
        {
            // A checkpoint written after the last iteration holds that iteration's evaluation already.
            if (evalAt.Contains(it) && selectionEval is not null && !best.Has(it)) EvaluateForSelection(it, o, x, ema, lrParam, best, ct);
            if (it == o.Iterations) break;
            ct.ThrowIfCancellationRequested();
            stepTime.Start();
            double loss;
            try { loss = Step(it, o, lrParam, imageOpt, lrOpt, savedAt); }
            catch (TorchException e) when (e.IsOutOfMemory)
            {
                throw new DistillationOutOfMemoryException(it, o, synthetic.Labels.Size(0), x.Device, savedAt is null ? null : ckPath, savedAt, e);
            }
            if (ema is not null) UpdateAverage(ema, x, o.EmaDecay!.Value);
            stepTime.Stop();
            curve.Add(new LossPoint(it, loss, LearnedLr(lrParam, o)));
            progress?.Report(new ProgressReport("distill", it + 1, o.Iterations, best.AddLatest(new() { ["loss"] = loss, ["lr"] = curve[^1].Lr })));
            if (o.CheckpointEvery > 0 && (it + 1) % o.CheckpointEvery == 0 && it + 1 < o.Iterations)
            {
                SaveCheckpoint(ckPath, it + 1, priorSeconds + total.Elapsed.TotalSeconds, o, lrParam, imageOpt, lrOpt, ema, curve, best);
                savedAt = it + 1;
            }
        }
        SaveCheckpoint(ckPath, o.Iterations, priorSeconds + total.Elapsed.TotalSeconds, o, lrParam, imageOpt, lrOpt, ema, curve, best);
        LossCurve.Save(curve, Path.Combine(o.OutputDir, "loss.json"), Path.Combine(o.OutputDir, "loss.csv"));

        var chosenImages = best.Images ?? ema ?? x;
        bool keptAverage = best.Images is null ? ema is not null : best.KeptAverage;
        double chosenLr = best.LrParam is null ? LearnedLr(lrParam, o) : LearnedLr(best.LrParam, o);
        var info = Info(o);
        if (ema is not null) info.Parameters["kept"] = keptAverage ? "moving average" : "images";
        var set = synthetic.ToSmallSet(chosenImages, chosenLr, info);
        var test = testEval?.Invoke(set, o.EvalBudget, o.Seed, ct);
        var result = new DistillationResult(set, chosenLr, curve, best.Images is null ? o.Iterations : best.Iteration, best.Accuracy,
                                            o.SelectOn, test, start, o.Iterations - start, TimeSpan.FromSeconds(priorSeconds) + total.Elapsed, stepTime.Elapsed)
            { SelectionCurve = best.Evaluated, KeptAverage = keptAverage };
        Finish(result, o);
        return result;
    }

    /// <summary>One outer iteration: sample an expert segment, unroll the student, update images and α. Returns the loss.</summary>
    private double Step(int it, TrajectoryMatchingOptions o, Tensor lrParam, Sgd imageOpt, Sgd lrOpt, int? savedAt)
    {
        using var scope = new TensorScope();
        var x = synthetic.Distilled;
        var rng = IterationRandom.For(o.Seed, it);
        int expert = rng.Next(experts.ExpertCount);
        int t = rng.Next(o.MaxStartEpoch);
        var theta0 = experts.Read(expert, t).To(x.DType, x.Device);
        var target = experts.Read(expert, t + o.ExpertEpochs).To(x.DType, x.Device);
        var lr = o.LrForm == LrParameterization.Raw ? lrParam : lrParam.Exp();
        var (value, grads) = o.Unroll == UnrollMode.Full ? FullUnrollGradients(x, lrParam, lr, theta0, target, o)
                                                         : EngineGradients(x, lrParam, lr, theta0, target, o);
        string ckFile = CheckpointFile(o.OutputDir);
        if (!double.IsFinite(value)) throw new DistillationDivergedException(it, $"the matching loss ({value})", savedAt is null ? null : ckFile, savedAt);
        if (!grads[0]!.AllFinite() || !grads[1]!.AllFinite())
            throw new DistillationDivergedException(it, "the gradient of the loss", savedAt is null ? null : ckFile, savedAt);
        imageOpt.Step(x, grads[0]!, o.LrImg);
        lrOpt.Step(lrParam, grads[1]!, o.LrLr);
        if (!x.AllFinite()) throw new DistillationDivergedException(it, "a distilled image", savedAt is null ? null : ckFile, savedAt);
        return value;
    }

    /// <summary>The reference path: one graph through all N steps, differentiated once (kept as it was so full-unroll
    /// runs stay bit-identical to earlier releases).</summary>
    private (double, Tensor?[]) FullUnrollGradients(Tensor x, Tensor lrParam, Tensor lr, Tensor theta0, Tensor target, TrajectoryMatchingOptions o)
    {
        var loss = TrajectoryMatchingLoss.Compute(student, synthetic.Union(), synthetic.Labels, lr, theta0, target, o.SynSteps, o.BatchSyn, augment);
        double value = loss.Item();
        return (value, double.IsFinite(value) ? Autograd.Grad([loss], [x, lrParam]) : []);
    }

    /// <summary>Exact recomputation or TESLA through the unrolling engine; its gradients with respect to the whole
    /// set and α are chained back to the distilled part and the stored step-size parameter.</summary>
    private (double, Tensor?[]) EngineGradients(Tensor x, Tensor lrParam, Tensor lr, Tensor theta0, Tensor target, TrajectoryMatchingOptions o)
    {
        var images = synthetic.Union();
        using var g = UnrolledGradient.Compute(
            TrajectoryMatchingLoss.Problem(student, images, synthetic.Labels, lr, theta0, target, o.SynSteps, o.BatchSyn, augment, out var schedule), o.Unroll);
        schedule.Dispose();
        if (!double.IsFinite(g.Loss)) return (g.Loss, []);
        return (g.Loss, Autograd.Grad([images, lr], [x, lrParam], [g.Images, g.StepSize]));
    }

    /// <summary>FTD's update of the average, as timm's ModelEmaV2 computes it: d·ema + (1 − d)·images.</summary>
    private static void UpdateAverage(Tensor ema, Tensor images, double decay)
    {
        using var scope = new TensorScope();
        using var noGrad = Tensors.NoGrad();
        ema.CopyFrom(ema.Mul(decay).Add(images.Mul(1 - decay)));
    }

    private static double LearnedLr(Tensor lrParam, TrajectoryMatchingOptions o)
    {
        double v = lrParam.Item();
        return o.LrForm == LrParameterization.Raw ? v : Math.Exp(v);
    }

    /// <summary>Scores the current set (<see cref="BestIteration.Score"/>), then, for FTD, the set with the images'
    /// moving average as its distilled part (the same networks: the evaluation's seed is the run's); keeps a copy of
    /// whichever beats the best so far. At iteration 0 the average is the images, so it is scored once.</summary>
    private void EvaluateForSelection(int it, TrajectoryMatchingOptions o, Tensor images, Tensor? average, Tensor lrParam, BestIteration best, CancellationToken ct)
    {
        double lr = LearnedLr(lrParam, o);
        best.Score(it, synthetic.ToSmallSet(images, lr, Info(o)), set => selectionEval!(set, o.EvalBudget, o.Seed, ct), images, lrParam);
        if (average is not null && it > 0)
            best.Score(it, synthetic.ToSmallSet(average, lr, Info(o)), set => selectionEval!(set, o.EvalBudget, o.Seed, ct), average, lrParam, average: true);
    }

    private void SaveCheckpoint(string path, int next, double seconds, TrajectoryMatchingOptions o, Tensor lrParam, Sgd imageOpt, Sgd lrOpt,
                                Tensor? ema, List<LossPoint> curve, BestIteration best)
    {
        using var scope = new TensorScope();
        using var rng = RngSnapshot.Take(synthetic.Distilled.Device);
        // Before the first step a momentum buffer does not exist yet; zeros are equivalent (buf = μ·0 + d = d).
        var imageMomentum = imageOpt.MomentumBuffer ?? Tensors.Zeros(synthetic.Distilled.Shape, synthetic.Distilled.DType);
        var lrMomentum = lrOpt.MomentumBuffer ?? Tensors.Zeros([], lrParam.DType);
        // The checkpoint does not own these tensors; the scope frees the temporaries.
        var ck = new DistillCheckpoint
        {
            NextIteration = next, Distilled = synthetic.Distilled, LrParam = lrParam, ImageMomentum = imageMomentum,
            LrMomentum = lrMomentum, TorchRng = rng.Cpu, DeviceRng = rng.OnDevice, Ema = ema, BestDistilled = best.Images, BestLrParam = best.LrParam,
            BestIteration = best.Iteration, BestMean = best.Accuracy?.Mean ?? double.NaN, BestStd = best.Accuracy?.Std ?? double.NaN,
            BestAccuracies = best.Accuracy?.Accuracies ?? [], Evaluations = best.Evaluated,
            Curve = curve, Fingerprint = Fingerprint(o), Seconds = seconds,
        };
        ck.Save(path);
        LossCurve.Save(curve, Path.Combine(o.OutputDir, "loss.json"), Path.Combine(o.OutputDir, "loss.csv"));
    }

    private (int Next, double Seconds) Restore(string path, TrajectoryMatchingOptions o, Tensor lrParam, Sgd imageOpt, Sgd lrOpt,
                        Tensor? ema, List<LossPoint> curve, BestIteration best)
    {
        using var ck = DistillCheckpoint.Load(path);
        if (o.LrForm == LrParameterization.Raw && ck.LrParam.Item() <= 0)
            throw new InvalidDataException($"{path}: tensor 'lr_param' is {ck.LrParam.Item()}, not a positive step size; the checkpoint is damaged (delete it to start the run again)");
        if (ck.Fingerprint != Fingerprint(o))
            throw new InvalidDataException($"{path}: field 'fingerprint' is '{ck.Fingerprint}', this run is '{Fingerprint(o)}'; use another output directory or set Resume = false");
        var x = synthetic.Distilled;
        using (Tensors.NoGrad())
        {
            x.CopyFrom(ck.Distilled);
            lrParam.CopyFrom(ck.LrParam);
            imageOpt.LoadMomentumBuffer(ck.ImageMomentum.To(x.DType, x.Device));
            lrOpt.LoadMomentumBuffer(ck.LrMomentum.To(x.DType, x.Device));
            // The fingerprint names the average's decay, so only a run that kept one wrote this checkpoint.
            if (ema is not null) ema.CopyFrom(ck.Ema ?? throw new InvalidDataException($"{path}: tensor 'ema_distilled' missing (this run keeps FTD's moving average of the images); the checkpoint is damaged (delete it to start the run again)"));
        }
        best.Restore(ck.BestDistilled, ck.BestLrParam, null, ck.BestIteration, ck.BestMean, ck.BestStd, ck.BestAccuracies, ck.Evaluations, x);
        RngSnapshot.RestoreCheckpoint(ck.TorchRng, ck.DeviceRng, x.Device);
        curve.AddRange(ck.Curve);
        return (ck.NextIteration, ck.Seconds);
    }

    /// <summary>The run settings plus what the run starts from (the initial set's source indices and shape).</summary>
    private string Fingerprint(TrajectoryMatchingOptions o) =>
        o.Fingerprint() + $"|set={synthetic.DistilledCount}+{synthetic.FrozenCount}|src={SourceHash()}|net={student.Name}:{student.ParameterCount}"
        + (synthetic.Zca is not null ? "|zca" : "");   // whitened images never resume a normalised run's checkpoint (older fingerprints unchanged)

    private string SourceHash()
    {
        ulong h = 14695981039346656037UL;                   // FNV-1a over the source indices
        foreach (var s in synthetic.SourceIndex) { h ^= (ulong)s; h *= 1099511628211UL; }
        return h.ToString("x16", CultureInfo.InvariantCulture);
    }

    private SmallSetInfo Info(TrajectoryMatchingOptions o)
    {
        var info = new SmallSetInfo
        {
            Dataset = synthetic.Dataset,
            Normalization = normalization,
            Method = o.Method,
            Ipc = synthetic.Ipc,
            NumClasses = synthetic.NumClasses,
            Seed = (ulong)o.Seed,
            Parameters = new()
            {
                ["student"] = student.Name,
                ["syn_steps"] = o.SynSteps.ToString(CultureInfo.InvariantCulture),
                ["expert_epochs"] = o.ExpertEpochs.ToString(CultureInfo.InvariantCulture),
                ["max_start_epoch"] = o.MaxStartEpoch.ToString(CultureInfo.InvariantCulture),
                ["batch_syn"] = o.BatchSyn?.ToString(CultureInfo.InvariantCulture) ?? "all",
                ["lr_img"] = o.LrImg.ToString("R", CultureInfo.InvariantCulture),
                ["lr_lr"] = o.LrLr.ToString("R", CultureInfo.InvariantCulture),
                ["lr_init"] = o.LrInit.ToString("R", CultureInfo.InvariantCulture),
                ["iterations"] = o.Iterations.ToString(CultureInfo.InvariantCulture),
                ["distilled"] = synthetic.DistilledCount.ToString(CultureInfo.InvariantCulture),
                ["frozen"] = synthetic.FrozenCount.ToString(CultureInfo.InvariantCulture),
                ["unroll"] = o.Unroll == UnrollMode.Tesla ? "tesla (approximate gradient)" : UnrollModes.Name(o.Unroll),
                ["selected_on"] = o.EvalIterations.Count == 0 ? NothingSelected : o.SelectOn == SelectOn.Test ? "test (reference protocol)" : "validation",
            },
        };
        if (o.EmaDecay is double d) info.Parameters["ema_decay"] = d.ToString("R", CultureInfo.InvariantCulture);
        return info;
    }

    /// <summary>No distilled part (SelMatch's distilled fraction 0): nothing is learnable, so the result is the
    /// selection itself (no iterations run).</summary>
    private DistillationResult PureSelection(TrajectoryMatchingOptions o, Stopwatch total, CancellationToken ct)
    {
        var set = synthetic.ToSmallSet(synthetic.Distilled, null, Info(o) with { Method = "window" });
        var test = testEval?.Invoke(set, o.EvalBudget, o.Seed, ct);
        var result = new DistillationResult(set, double.NaN, [], 0, null, o.SelectOn, test, 0, 0, total.Elapsed, TimeSpan.Zero);
        Finish(result, o);
        return result;
    }

    /// <summary>What a run that evaluates no iteration says it chose on (as DC/DSA/DM results say it).</summary>
    private const string NothingSelected = "none: the final set is kept (no iteration evaluated)";

    /// <summary>What distill.json says the kept set holds: the images, or their moving average (FTD) — and, where both
    /// were scored, that the kept one scored higher.</summary>
    private static string KeptImagesText(TrajectoryMatchingOptions o, DistillationResult r)
    {
        if (o.EmaDecay is not double d) return "the images";
        if (r.SelectionCurve.Count == 0) return FormattableString.Invariant($"moving average of the images (FTD), decay {d:R}");
        return r.KeptAverage
            ? FormattableString.Invariant($"moving average of the images (FTD), decay {d:R}: it scored higher than the images")
            : FormattableString.Invariant($"the images (their moving average, FTD, decay {d:R}, scored no higher)");
    }

    private static void Finish(DistillationResult r, TrajectoryMatchingOptions o)
    {
        r.Set.Save(Path.Combine(o.OutputDir, "synthetic.safetensors"));
        var summary = new
        {
            method = o.Method,
            iterations = o.Iterations,
            resumed_at = r.ResumedAt,
            best_iteration = r.BestIteration,
            unroll = o.Unroll == UnrollMode.Tesla ? "tesla (approximate gradient)" : UnrollModes.Name(o.Unroll),
            selected_on = o.EvalIterations.Count == 0 ? NothingSelected : BestIteration.SelectedOnText(o.SelectOn),
            selection_accuracy = BestIteration.Summary(r.SelectionAccuracy),
            selection_curve = r.SelectionCurve,
            test_accuracy = BestIteration.Summary(r.TestAccuracy),
            learned_lr = double.IsFinite(r.LearnedLr) ? r.LearnedLr : (double?)null,
            seconds = r.Elapsed.TotalSeconds,
            seconds_per_iteration = r.SecondsPerIteration,
            final_loss = r.Curve.Count > 0 ? r.Curve[^1].Loss : (double?)null,
            images = KeptImagesText(o, r),
        };
        var json = JsonSerializer.SerializeToNode(summary)!;
        if (o.EmaDecay is not null) json["kept_average"] = r.KeptAverage;   // only FTD runs keep one (other files stay as they were)
        AtomicFile.WriteAllText(Path.Combine(o.OutputDir, "distill.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
