using System.Diagnostics;
using DDist.Artifacts;
using DDist.Data;
using DDist.Models;
using DDist.Torch;
using DDist.Training;

namespace DDist.Evaluation;

/// <summary>DD's evaluation (Wang et al. 2018, `basics.evaluate_steps` / `train_steps_inplace`): a fresh xavier
/// network (or the training run's fixed one) takes exactly the set's T learned steps, w ← w − α_t ∇ℓ(f(x_t; w), ỹ_t),
/// each on its whole step batch, with no momentum, weight decay or augmentation; ℓ is soft cross-entropy on the
/// set's soft labels (raw SLD rows as they are) or hard CE on its classes. Test accuracy is measured before the first
/// step and after the last; the std is the unbiased one the DD paper reports. A network whose weights end non-finite
/// after the steps is counted as diverged (<see cref="EvalResult.Diverged"/>).</summary>
public static class LearnedStepsEvaluator
{
    /// <param name="keepIn">Where each network's two accuracies are kept as it finishes (KEEP/step0/net-K.json,
    /// KEEP/learned/net-K.json, naming the set), so an interrupted or repeated evaluation reads them back instead of
    /// training again; null keeps nothing.</param>
    public static (EvalResult Before, EvalResult After) Evaluate(SmallSet set, ImageDataset test, string model, int nets, double gain,
                                                                 Tensor? fixedInit, ulong seed, CancellationToken ct = default, string? keepIn = null)
    {
        var steps = set.Steps ?? throw new ArgumentException($"small set ({set.Info.Method}) has no learned steps ('step_lrs'); use a standard protocol");
        if (nets < 1) throw new ArgumentOutOfRangeException(nameof(nets), nets, "need at least one network");
        NetworkEvaluation.CheckCompatible($"small set ({set.Info.Method}, {set.Info.Dataset})", set.Images, set.Labels, test);
        steps.Validate(set.Info.Method, set.Count);
        var clock = Stopwatch.StartNew();
        var net = ModelZoo.Create(model, test.Channels, test.NumClasses, test.Height, test.Width);
        if (fixedInit is not null && fixedInit.Shape.Aggregate(1L, (a, b) => a * b) != net.ParameterCount)
            throw new InvalidDataException($"small set ({set.Info.Method}): its fixed initialisation has {fixedInit.Shape.Aggregate(1L, (a, b) => a * b)} weights, {model} has {net.ParameterCount}; " +
                                           "evaluate it with the model it was distilled with");
        var device = test.Images.Device;
        using var scope = new TensorScope();
        var images = set.Images.To(DType.Float32, device);
        Tensor targets;
        using (Tensors.NoGrad())
            targets = set.SoftLabels is { } soft ? SoftLabels.Targets(soft.Values, soft.Kind).To(DType.Float32, device)
                                                 : set.Labels.To(DType.Int64, device).OneHot(test.NumClasses).To(DType.Float32);

        // Network i's test accuracy at its initialisation (step 0) or after the learned steps: its weights depend on i alone.
        EvalResult Network(int i, bool learned)
        {
            ct.ThrowIfCancellationRequested();
            Tensors.ManualSeed(SeedSequence.Derive(seed, "learned-steps-net", i));
            using var netScope = new TensorScope();
            var w = fixedInit is null ? XavierInit.Draw(net, gain, device) : fixedInit.Detach().Clone();
            if (!learned) return EvalResult.From([Trainer.Accuracy(net, w, null, test)]);
            using var trained = Train(net, w, images, targets, steps);
            return EvalResult.From([Trainer.Accuracy(net, trained, null, test)], diverged: trained.AllFinite() ? 0 : 1);
        }

        if (keepIn is not null)
        {
            var digest = set.Digest();
            var kept0 = NetworkResults.EvaluateEach(Path.Combine(keepIn, "step0"), "step 0", nets, digest, i => Network(i, learned: false));
            var kept = NetworkResults.EvaluateEach(Path.Combine(keepIn, "learned"), "learned steps", nets, digest, i => Network(i, learned: true));
            return (Summarise(kept0.Accuracies, kept0.Elapsed, 0), Summarise(kept.Accuracies, kept.Elapsed, kept.Diverged));   // DD's unbiased std
        }
        var before = Enumerable.Range(0, nets).Select(i => Network(i, learned: false)).ToArray();
        var after = Enumerable.Range(0, nets).Select(i => Network(i, learned: true)).ToArray();
        return (Summarise(before.Select(r => r.Accuracies[0]).ToArray(), clock.Elapsed, 0),
                Summarise(after.Select(r => r.Accuracies[0]).ToArray(), clock.Elapsed, after.Sum(r => r.Diverged)));
    }

    /// <summary>The T plain GD steps; returns the final weights (detached, owned by the caller, in no scope).</summary>
    public static Tensor Train(INetwork net, Tensor w0, Tensor images, Tensor targets, LearnedSteps steps)
    {
        Tensor w;
        using (Tensors.NoGrad()) w = w0.Detach().Clone().DetachFromScope();
        for (int t = 0; t < steps.StepCount; t++)
        {
            using var scope = new TensorScope();
            var (start, count) = steps.Chunk(t, images.Size(0));
            w.RequiresGrad = true;
            var loss = SoftCrossEntropy.Loss(net.Forward(images.Narrow(0, start, count), w, null, training: true), targets.Narrow(0, start, count));
            var g = Autograd.Grad(loss, w);
            using var noGrad = Tensors.NoGrad();
            var next = w.Sub(g.Mul(steps.Lrs[t])).DetachFromScope();
            w.Dispose();
            w = next;
        }
        return w;
    }

    private static EvalResult Summarise(double[] acc, TimeSpan elapsed, int diverged)
    {
        double mean = acc.Average();
        double std = acc.Length > 1 ? Math.Sqrt(acc.Sum(a => (a - mean) * (a - mean)) / (acc.Length - 1)) : 0;
        return new EvalResult(mean, std, acc, elapsed, diverged);
    }
}
