using System.Diagnostics;
using System.Text.Json;
using DDist.Artifacts;
using DDist.Data;
using DDist.Evaluation;
using DDist.Models;
using DDist.Torch;
using DDist.Torch.IO;
using DDist.Training;

namespace DDist.Distillation.Unrolled;

/// <summary>What a DD / soft-label DD run produced: the set (images in step order, learned steps, soft labels for
/// SLD), the loss curve, and the accuracy of fresh networks before (step 0) and after the T learned steps.</summary>
public sealed record DdResult(SmallSet Set, IReadOnlyList<LossPoint> Curve, EvalResult Before, EvalResult After, int Iterations, TimeSpan Elapsed);

/// <summary>Dataset distillation by unrolled optimisation (Wang et al. 2018, `Trainer.train`), optionally with
/// learned labels (Sucholutsky &amp; Schonlau; Li et al. 2020). Learned: S image batches (N(0,1) in normalised
/// space, class-major, p per class), T = S·E step sizes α_t = softplus(r_t), and for SLD the label rows; one Adam
/// (β = (0.5, 0.999)) with StepLR over all of them; every real batch is one iteration.</summary>
public sealed class DdDistillation(ImageDataset train, ImageDataset test, string normalization)
{
    public DdResult Run(DdOptions o, IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        o.Validate();
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(o.OutputDir);
        var net = ModelZoo.Create(o.Model, train.Channels, train.NumClasses, train.Height, train.Width);
        int k = train.NumClasses, perStep = k * o.ImagesPerClassPerStep;
        var device = train.Images.Device;
        Tensors.ManualSeed((ulong)o.Seed);

        var images = new Tensor[o.DistillSteps];
        var targets = new Tensor[o.DistillSteps];
        using var classes = Tensors.Arange(k, DType.Int64, device).Repeat(o.ImagesPerClassPerStep).View(o.ImagesPerClassPerStep, k).T().Reshape(perStep).DetachFromScope();
        for (int s = 0; s < o.DistillSteps; s++)
        {
            images[s] = Tensors.Randn([perStep, train.Channels, train.Height, train.Width], DType.Float32, device).DetachFromScope().RequiresGrad_();
            using var noGrad = Tensors.NoGrad();
            targets[s] = classes.OneHot(k).To(DType.Float32).DetachFromScope();
            if (o.LearnLabels) targets[s].RequiresGrad = true;
        }
        using var raw = Tensors.Full([o.StepCount], DdUnroll.RawFor(o.DistillLr), DType.Float32, device).DetachFromScope().RequiresGrad_();
        var fixedInits = o.Init == DdInit.Known
            ? Enumerable.Range(0, o.Nets).Select(_ => XavierInit.Draw(net, o.InitGain, device).DetachFromScope()).ToArray()
            : [];
        var learned = new List<Tensor>(images);
        if (o.LearnLabels) learned.AddRange(targets);
        learned.Add(raw);
        using var adam = new Adam(0.5, 0.999);
        var curve = new List<LossPoint>();
        int it = 0, n = train.Count, startPass = 0;
        long startOffset = 0;
        double priorSeconds = 0;   // what the processes before a resume spent
        Tensor? resumedPerm = null;
        if (o.Resume && DdCheckpoint.Restore(o.OutputDir, o.Fingerprint(), learned, adam) is { } saved)
        {
            (it, startPass, startOffset, resumedPerm, priorSeconds) = (saved.Iteration, saved.Pass, saved.Offset, saved.Perm, saved.Seconds);
            curve.AddRange(saved.Curve);
        }
        double Seconds() => priorSeconds + clock.Elapsed.TotalSeconds;
        long totalIterations = Math.Min((long)o.Epochs * ((n + o.BatchSize - 1) / o.BatchSize), o.MaxIterations ?? long.MaxValue);
        try
        {
            for (int pass = startPass; pass < o.Epochs && it < totalIterations; pass++)
            {
                double lr = o.LrAtPass(pass);
                using var passScope = new TensorScope();
                var perm = pass == startPass && startOffset > 0 && resumedPerm is not null ? resumedPerm : Tensors.RandPerm(n, DType.Int64, device);
                for (long start = pass == startPass ? startOffset : 0; start < n && it < totalIterations; start += o.BatchSize)
                {
                    ct.ThrowIfCancellationRequested();
                    using var scope = new TensorScope();
                    var idx = perm.Narrow(0, start, Math.Min(o.BatchSize, n - start));
                    var realX = train.Images.IndexSelect(0, idx);
                    if (o.AugmentReal) realX = Augment.SimpleAugment.Apply(realX);
                    var realY = train.Labels.IndexSelect(0, idx);
                    Tensor[]? sum = null;
                    double loss = 0;
                    for (int j = 0; j < o.Nets; j++)
                    {
                        var w0 = o.Init == DdInit.Known ? fixedInits[j] : XavierInit.Draw(net, o.InitGain, device);
                        var (l, g) = DdUnroll.Gradients(net, w0, images, targets, raw, o.LearnLabels, realX, realY, o.UnrollUsed);
                        loss += l / o.Nets;
                        sum = sum is null ? g : sum.Zip(g, (a, b) => a + b).ToArray();
                    }
                    if (!double.IsFinite(loss)) throw new DistillationDivergedException(it, $"the DD loss ({loss})", null, null);
                    adam.Step(learned, sum!.Select(g => g / o.Nets).ToArray(), lr);
                    double meanAlpha;
                    using (Tensors.NoGrad()) meanAlpha = DdUnroll.StepSizes(raw).Mean().Item();
                    curve.Add(new LossPoint(it, loss, meanAlpha));
                    progress?.Report(new ProgressReport(o.Method, it + 1, totalIterations,
                        new Dictionary<string, double> { ["loss"] = loss, ["mean_alpha"] = meanAlpha, ["lr"] = lr, ["pass"] = pass + 1 }));
                    it++;
                    bool passDone = start + o.BatchSize >= n;
                    if (it == totalIterations || (o.CheckpointEvery > 0 && it % o.CheckpointEvery == 0))
                        DdCheckpoint.Save(o.OutputDir, o.Fingerprint(), learned, adam,
                            passDone ? new DdCheckpoint.State(it, pass + 1, 0, perm, adam.StepCount, curve, Seconds())
                                     : new DdCheckpoint.State(it, pass, start + o.BatchSize, perm, adam.StepCount, curve, Seconds()), totalIterations);
                }
            }
            LossCurve.Save(curve, Path.Combine(o.OutputDir, "loss.json"), Path.Combine(o.OutputDir, "loss.csv"));
            var fixedInit = o.Init == DdInit.Known ? fixedInits[0] : null;
            var set = ToSmallSet(o, images, targets, raw, classes, fixedInit);
            var (before, after) = LearnedStepsEvaluator.Evaluate(set, test, o.Model, o.TestNets, o.InitGain, fixedInit, (ulong)o.Seed + 1000, ct,
                                                                 keepIn: Path.Combine(o.OutputDir, "eval"));
            set.Save(Path.Combine(o.OutputDir, "synthetic.safetensors"));
            var result = new DdResult(set, curve, before, after, it, TimeSpan.FromSeconds(Seconds()));
            WriteSummary(o, result);
            return result;
        }
        finally
        {
            foreach (var t in images.Concat(targets).Concat(fixedInits)) t.Dispose();
            resumedPerm?.Dispose();
        }
    }

    /// <param name="fixedInit">known_init's starting weights, kept in the set: its steps only work from them.</param>
    private SmallSet ToSmallSet(DdOptions o, Tensor[] images, Tensor[] targets, Tensor raw, Tensor classes, Tensor? fixedInit)
    {
        using var scope = new TensorScope();
        using var noGrad = Tensors.NoGrad();
        var all = Tensors.Cat(images.Select(t => t.Detach()).ToArray()).Contiguous().DetachFromScope();
        var labels = Tensors.Cat(Enumerable.Repeat(classes, o.DistillSteps).ToArray()).DetachFromScope();
        var alphas = DdUnroll.StepSizes(raw).To(DType.Float64, Device.Cpu).ToArray<double>();
        int count = (int)all.Size(0);
        return new SmallSet
        {
            Images = all, Labels = labels,
            IsDistilled = Enumerable.Repeat(true, count).ToArray(), SourceIndex = Enumerable.Repeat(-1L, count).ToArray(),
            SoftLabels = o.LearnLabels
                ? new SoftLabels(Tensors.Cat(targets.Select(t => t.Detach()).ToArray()).Contiguous().DetachFromScope(), SoftLabelKind.Targets, "sld")
                : null,
            Steps = new LearnedSteps(alphas, o.DistillSteps, fixedInit?.Detach().To(DType.Float32, Device.Cpu).ToArray<float>()),
            Info = new SmallSetInfo
            {
                Dataset = train.Name, Normalization = normalization, Method = o.Method, Ipc = o.DistillSteps * o.ImagesPerClassPerStep,
                NumClasses = train.NumClasses, Seed = (ulong)o.Seed, Parameters = o.Describe(),
            },
        };
    }

    private static void WriteSummary(DdOptions o, DdResult r)
    {
        var summary = new
        {
            method = o.Method, iterations = r.Iterations, seconds = r.Elapsed.TotalSeconds,
            gradient = o.UnrollUsed == Unrolling.UnrollMode.Full ? "full unrolling" : "exact recomputation (bounded memory)",
            evaluation = "fresh networks trained with exactly the learned steps (plain GD, learned α_t); unbiased std; test set",
            accuracy_step0 = new { mean = r.Before.Mean, std = r.Before.Std, nets = r.Before.Accuracies.Length },
            accuracy = new { mean = r.After.Mean, std = r.After.Std, accuracies = r.After.Accuracies, diverged = r.After.Diverged },
            step_sizes = r.Set.Steps!.Lrs, final_loss = r.Curve.Count > 0 ? r.Curve[^1].Loss : (double?)null,
        };
        AtomicFile.WriteAllText(Path.Combine(o.OutputDir, "distill.json"), JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
    }
}
