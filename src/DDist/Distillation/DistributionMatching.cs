using System.Globalization;
using DDist.Models;
using DDist.Torch;
using DDist.Training;

namespace DDist.Distillation;

/// <summary>Dataset condensation by distribution matching, DM (Zhao &amp; Bilen, WACV 2023; DC repository
/// `main_DM.py`): every iteration a freshly initialised network, its parameters frozen, embeds (penultimate
/// features) a random real batch and the synthetic images of each class under one shared DSA draw; the loss is
/// Σ_c ‖mean e(real_c) − mean e(syn_c)‖² and the images take one SGD step on it.</summary>
public sealed class DistributionMatching(INetwork net, ClassImagePool pool)
{
    /// <param name="checkpoints">Where to save the state an interrupted run continues from (every K iterations, on
    /// cancellation and at the end) and to resume from; null = neither.</param>
    public MatchingResult Run(DistributionMatchingOptions o, IProgress<ProgressReport>? progress = null, CancellationToken ct = default,
                              MatchingCheckpoints? checkpoints = null)
    {
        o.Validate();
        Tensors.ManualSeed((ulong)o.Seed);
        using var syn = SyntheticInit.Create(pool, o.Ipc, o.Start);
        using var imageOpt = new Sgd(o.ImageMomentum);
        var curve = new List<LossPoint>();
        using var checkpoint = MatchingCheckpointer.Open(checkpoints, MatchingCheckpointer.Fingerprint(o with { Iterations = 0 }, net, pool),
                                                         syn, imageOpt, curve, o.Iterations);
        for (int it = checkpoint.Start; it < o.Iterations; it++)
        {
            checkpoint.Begin(it);
            try { ct.ThrowIfCancellationRequested(); }
            catch (OperationCanceledException) { checkpoint.SaveBegun(); throw; }
            double loss = Step(net, pool, syn, imageOpt, o);
            if (!double.IsFinite(loss)) throw new DistillationDivergedException(it, "the distribution-matching loss", null, null);
            curve.Add(new LossPoint(it, loss, o.LrImg));
            progress?.Report(new ProgressReport("dm", it + 1, o.Iterations, new Dictionary<string, double> { ["loss"] = loss }));
            checkpoint.End(it + 1, o.Iterations);
        }
        checkpoint.Finish(o.Iterations);
        return MatchingResult.From(syn, "dm", curve, checkpoint.Elapsed, pool.Data, o.Seed, new()
        {
            ["model"] = net.Name, ["iterations"] = $"{o.Iterations}", ["lr_img"] = o.LrImg.ToString("R", CultureInfo.InvariantCulture), ["batch_real"] = $"{o.BatchReal}",
            ["init"] = o.Start.ToString().ToLowerInvariant(), ["dsa"] = o.Dsa ? o.DsaStrategy : "none",
        });
    }

    /// <summary>One iteration: a fresh network (drawn from libtorch's generator), the loss, one image step.
    /// Returns the loss.</summary>
    public static double Step(INetwork net, ClassImagePool pool, SyntheticInit syn, Sgd imageOpt, DistributionMatchingOptions o)
    {
        using var scope = new TensorScope();
        var theta = net.InitParameters(syn.Images.Device);
        var reals = new List<Tensor>();
        var syns = new List<Tensor>();
        for (int c = 0; c < pool.NumClasses; c++)
        {
            var real = pool.Sample(c, o.BatchReal);
            var images = syn.Class(syn.Images, c);
            if (o.Dsa)
            {
                using var draw = Augment.Dsa.Draw(o.DsaStrategy, (int)real.Size(0), pool.Data.Height, pool.Data.Width, o.DsaParams, siamese: true, real.Device);
                real = draw.Apply(real);
                images = draw.Apply(images);
            }
            reals.Add(real);
            syns.Add(images);
        }
        var loss = Loss(net, theta, reals, syns);
        var grad = Autograd.Grad([loss], [syn.Images])[0]!;
        imageOpt.Step(syn.Images, grad, o.LrImg);
        return loss.Item();
    }

    /// <summary>Σ_c ‖mean e(real_c) − mean e(syn_c)‖² with the network in train mode, as `main_DM.py` computes it:
    /// for a BatchNorm network all classes' real images go through one forward pass and all synthetic ones through
    /// another (the batch statistics mix classes); otherwise each class goes through on its own (smaller batches,
    /// kinder to the cache). The real embeddings are constants; the result is differentiable with respect to the
    /// synthetic images.</summary>
    public static Tensor Loss(INetwork net, Tensor theta, IReadOnlyList<Tensor> realPerClass, IReadOnlyList<Tensor> synPerClass)
    {
        Tensor Embed(Tensor x) => net.Embed(x, theta, null, training: true);
        List<Tensor> realMeans, synMeans;
        if (net.HasBatchNorm)
        {
            Tensor realEmbed;
            using (Tensors.NoGrad()) realEmbed = Embed(Tensors.Cat(realPerClass));
            var synEmbed = Embed(Tensors.Cat(synPerClass));
            realMeans = ClassMeans(realEmbed, realPerClass);
            synMeans = ClassMeans(synEmbed, synPerClass);
        }
        else
        {
            using (Tensors.NoGrad()) realMeans = realPerClass.Select(x => Embed(x).Mean(0)).ToList();
            synMeans = synPerClass.Select(x => Embed(x).Mean(0)).ToList();
        }
        Tensor? total = null;
        for (int c = 0; c < realMeans.Count; c++)
        {
            var term = (realMeans[c] - synMeans[c]).Square().Sum();
            total = total is null ? term : total + term;
        }
        return total!;
    }

    private static List<Tensor> ClassMeans(Tensor embed, IReadOnlyList<Tensor> perClass)
    {
        var means = new List<Tensor>();
        long start = 0;
        foreach (var x in perClass)
        {
            long n = x.Size(0);
            means.Add(embed.Narrow(0, start, n).Mean(0));
            start += n;
        }
        return means;
    }
}
