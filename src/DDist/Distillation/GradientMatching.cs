using System.Globalization;
using DDist.Augment;
using DDist.Models;
using DDist.Torch;
using DDist.Training;

namespace DDist.Distillation;

/// <summary>Dataset condensation by gradient matching, DC (Zhao, Mopuri &amp; Bilen, ICLR 2021) and, with Siamese
/// augmentation, DSA (Zhao &amp; Bilen, ICML 2021), as the DC repository's `main.py` runs them: every iteration a
/// fresh network; outer_loop times, per class, the gradient of the loss on a real batch is matched by the gradient
/// on the class's synthetic images (the images take one SGD step on the summed distance), then the network
/// trains inner_loop epochs on the synthetic set.</summary>
public sealed class GradientMatching(INetwork net, ClassImagePool pool)
{
    /// <param name="checkpoints">Where to save the state an interrupted run continues from (every K iterations, on
    /// cancellation and at the end) and to resume from; null = neither.</param>
    public MatchingResult Run(GradientMatchingOptions o, IProgress<ProgressReport>? progress = null, CancellationToken ct = default,
                              MatchingCheckpoints? checkpoints = null)
    {
        o.Validate();
        var (outer, inner) = o.ResolveLoops();
        Tensors.ManualSeed((ulong)o.Seed);
        using var syn = SyntheticInit.Create(pool, o.Ipc, o.Start);
        using var imageOpt = new Sgd(o.ImageMomentum);
        var curve = new List<LossPoint>();
        var device = pool.Data.Images.Device;
        var train = new TrainOptions
        {
            Epochs = Math.Max(inner, 1), BatchSize = o.BatchTrain, LearningRate = o.LrNet,
            Augment = o.Dsa ? (x, _) => Dsa.Augment(x, o.DsaStrategy, o.DsaParams) : null, Stage = $"{o.Method} inner",
        };
        using var checkpoint = MatchingCheckpointer.Open(checkpoints, MatchingCheckpointer.Fingerprint(o with { Iterations = 0 }, net, pool),
                                                         syn, imageOpt, curve, o.Iterations);
        for (int it = checkpoint.Start; it < o.Iterations; it++)
        {
            checkpoint.Begin(it);
            try
            {
                ct.ThrowIfCancellationRequested();
                using var iterationScope = new TensorScope();
                using var state = TrainingState.Create(net, train, device);
                double lossSum = 0;
                for (int ol = 0; ol < outer; ol++)
                {
                    var bn = net.HasBatchNorm ? RefreshBatchNorm(state, o.BnImagesPerClass) : null;
                    lossSum += OuterStep(net, state.Parameters, bn, pool, syn, imageOpt, o);
                    if (ol == outer - 1 || inner == 0) break;
                    // The network learns on a detached copy of the current synthetic set (train mode, plain SGD).
                    using var snapshot = syn.Images.Detach().Clone();
                    state.NextEpoch = 0;
                    new Trainer(net, train with { Epochs = inner }).Train(state, new TrainingSet(snapshot, syn.Labels), null, ct);
                }
                curve.Add(new LossPoint(it, lossSum / (outer * pool.NumClasses), o.LrImg));
                if (!double.IsFinite(curve[^1].Loss)) throw new DistillationDivergedException(it, "the gradient-matching loss", null, null);
                progress?.Report(new ProgressReport(o.Method, it + 1, o.Iterations, new Dictionary<string, double> { ["loss"] = curve[^1].Loss }));
            }
            catch (OperationCanceledException)
            {
                checkpoint.SaveBegun();       // cancelled mid-iteration (the inner training checks too): redo it whole
                throw;
            }
            checkpoint.End(it + 1, o.Iterations);
        }
        checkpoint.Finish(o.Iterations);
        return MatchingResult.From(syn, o.Method, curve, checkpoint.Elapsed, pool.Data, o.Seed, new()
        {
            ["model"] = net.Name, ["iterations"] = $"{o.Iterations}", ["outer_loop"] = $"{outer}", ["inner_loop"] = $"{inner}",
            ["lr_img"] = o.LrImg.ToString("R", CultureInfo.InvariantCulture), ["lr_net"] = o.LrNet.ToString("R", CultureInfo.InvariantCulture), ["batch_real"] = $"{o.BatchReal}", ["batch_train"] = $"{o.BatchTrain}",
            ["init"] = o.Start.ToString().ToLowerInvariant(), ["dis_metric"] = GradientMatchingDistance.Name(o.Distance),
            ["dsa"] = o.Dsa ? o.DsaStrategy : "none",
        });
    }

    /// <summary>A BatchNorm network's statistics for the matching: a train-mode forward of BnImagesPerClass real
    /// images per class updates the running statistics, which the matching forwards then use frozen (eval mode),
    /// as `main.py` does with `module.eval()` on every BatchNorm layer. Returns the state to use frozen.</summary>
    private NetState RefreshBatchNorm(TrainingState state, int perClass)
    {
        using var scope = new TensorScope();
        using var noGrad = Tensors.NoGrad();
        var real = Tensors.Cat(Enumerable.Range(0, pool.NumClasses).Select(c => pool.Sample(c, perClass)).ToList());
        net.Forward(real, state.Parameters, state.NetState, training: true);
        return state.NetState;
    }

    /// <summary>One outer-loop step: the summed per-class distance, its gradient with respect to the synthetic
    /// images, and one SGD step on them. <paramref name="frozenBn"/> is the BatchNorm state to use in eval mode
    /// (null for networks without BatchNorm, which stay in train mode). Returns the summed loss.</summary>
    public static double OuterStep(INetwork net, Tensor theta, NetState? frozenBn, ClassImagePool pool, SyntheticInit syn,
                                   Sgd imageOpt, GradientMatchingOptions o)
    {
        using var scope = new TensorScope();
        Tensor? grad = null;
        double loss = 0;
        for (int c = 0; c < pool.NumClasses; c++)
        {
            using var classScope = new TensorScope();
            var real = pool.Sample(c, o.BatchReal);
            var images = syn.Class(syn.Images, c);
            if (o.Dsa)
            {
                // Siamese: one draw (one family, one parameter set) for both batches.
                using var draw = Augment.Dsa.Draw(o.DsaStrategy, (int)real.Size(0), pool.Data.Height, pool.Data.Width, o.DsaParams, siamese: true, real.Device);
                real = draw.Apply(real);
                images = draw.Apply(images);
            }
            var l = ClassLoss(net, theta, frozenBn, real, images, c, o.Distance);
            loss += l.Item();
            var g = Autograd.Grad([l], [syn.Images])[0]!;
            grad = grad is null ? g.MoveToOuterScope() : (grad + g).MoveToOuterScope();
        }
        imageOpt.Step(syn.Images, grad!, o.LrImg);
        return loss;
    }

    /// <summary>D(∇θ CE(net(syn), c), ∇θ CE(net(real), c)) at θ, the real gradient treated as a constant; the result
    /// is differentiable with respect to the synthetic images (the synthetic gradient keeps its graph).</summary>
    public static Tensor ClassLoss(INetwork net, Tensor theta, NetState? frozenBn, Tensor real, Tensor syn, long label, GradientDistance distance)
    {
        bool training = frozenBn is null;
        var yReal = Tensors.Full([real.Size(0)], label, DType.Int64, real.Device);
        var ySyn = Tensors.Full([syn.Size(0)], label, DType.Int64, syn.Device);
        var gReal = Autograd.Grad([Functional.CrossEntropy(net.Forward(real, theta, frozenBn, training), yReal)], [theta])[0]!.Detach();
        var gSyn = Autograd.Grad([Functional.CrossEntropy(net.Forward(syn, theta, frozenBn, training), ySyn)], [theta], createGraph: true)[0]!;
        return GradientMatchingDistance.Compute(gSyn, gReal, net.Layout, distance);
    }
}
