using DDist.Data;
using DDist.Models;
using DDist.Torch;

namespace DDist.Distillation.SoftLabel;

/// <summary>Soft labels from expert networks: DATM's initialisation (Guo et al. 2024, `samples_predicted_correctly`
/// and the label initialisation of `distill/DATM.py`) and TESLA's teacher labels (Cui et al. 2023, `--teacher_label`).</summary>
public static class ExpertLabels
{
    /// <summary>Logits (eval mode, no gradient) of the network with weights <paramref name="theta"/>, in batches.</summary>
    public static Tensor Logits(INetwork net, Tensor theta, Tensor images, int batch = 256)
    {
        using var noGrad = Tensors.NoGrad();
        using var scope = new TensorScope();
        var parts = new List<Tensor>();
        for (long s = 0; s < images.Size(0); s += batch)
            parts.Add(net.Forward(images.Narrow(0, s, Math.Min(batch, images.Size(0) - s)), theta, null, training: false));
        return Tensors.Cat(parts).MoveToOuterScope();
    }

    /// <summary>DATM's label initialisation: each image's logits averaged over the experts whose prediction is its
    /// class. The reference divides by the count of such experts, which is 0/0 = NaN when none is right; here such an
    /// image gets the mean over all experts instead, and <c>Uncovered</c> counts them.</summary>
    public static (Tensor Logits, int Uncovered) MeanOfCorrectExperts(INetwork net, IReadOnlyList<Tensor> experts, Tensor images, Tensor classes)
    {
        if (experts.Count == 0) throw new ArgumentException("DATM's label initialisation needs at least one expert", nameof(experts));
        using var noGrad = Tensors.NoGrad();
        using var scope = new TensorScope();
        Tensor? sum = null, all = null, count = null;
        foreach (var theta in experts)
        {
            var z = Logits(net, theta, images);
            var right = z.ArgMax(1).Eq(classes).To(z.DType).Unsqueeze(1);
            sum = sum is null ? z * right : sum + z * right;
            all = all is null ? z : all + z;
            count = count is null ? right : count + right;
        }
        var none = count!.Eq(0);
        var mean = Tensors.Where(none, all! / experts.Count, sum! / count.Clamp(min: 1));
        int uncovered = (int)none.Sum().ItemLong();
        return (mean.MoveToOuterScope(), uncovered);
    }

    /// <summary>DATM's 'samples_predicted_correctly' images: per class, the class's images in random order, kept when
    /// the current expert predicts the class, until <paramref name="ipc"/> are found; when a class runs out, the next
    /// expert looks at the images not yet kept. Returns per-class training indices. Throws before any work when IPC
    /// exceeds a class, and when the experts together do not find IPC correct images.</summary>
    /// <param name="exclude">Training indices never picked (a validation split); null picks from the whole set.</param>
    public static int[][] PredictedCorrectly(INetwork net, IReadOnlyList<Tensor> experts, ImageDataset train, int ipc, Random rng,
                                             IReadOnlySet<int>? exclude = null)
    {
        var byClass = train.IndicesByClass();
        if (exclude is not null) byClass = byClass.Select(c => c.Where(i => !exclude.Contains((int)i)).ToArray()).ToArray();
        for (int c = 0; c < byClass.Length; c++)
            if (byClass[c].Length < ipc)
                throw new ArgumentException($"field 'ipc' is {ipc}, but class {c} of {train.Name} has only {byClass[c].Length} training images{(exclude is null ? "" : " outside the validation split")}");
        if (experts.Count == 0) throw new ArgumentException("'samples_predicted_correctly' needs at least one expert", nameof(experts));
        var result = new int[byClass.Length][];
        using var noGrad = Tensors.NoGrad();
        for (int c = 0; c < byClass.Length; c++)
        {
            var kept = new List<int>();
            var remaining = byClass[c].OrderBy(_ => rng.Next()).Select(i => (int)i).ToList();
            for (int e = 0; e < experts.Count && kept.Count < ipc; e++)
            {
                var rejected = new List<int>();
                for (int s = 0; s < remaining.Count && kept.Count < ipc; s += 256)
                {
                    using var scope = new TensorScope();
                    var chunk = remaining.Skip(s).Take(256).ToArray();
                    var idx = Tensors.FromArray(chunk.Select(i => (long)i).ToArray()).To(train.Images.Device);
                    var pred = Logits(net, experts[e], train.Images.IndexSelect(0, idx)).ArgMax(1).ToArray<long>();
                    for (int j = 0; j < chunk.Length; j++)
                        if (pred[j] == c && kept.Count < ipc) kept.Add(chunk[j]);
                        else if (pred[j] != c) rejected.Add(chunk[j]);
                }
                remaining = rejected;
            }
            if (kept.Count < ipc)
                throw new InvalidOperationException($"only {kept.Count} images of class {c} are predicted correctly by the {experts.Count} experts; IPC {ipc} needs more (use a real initialisation)");
            result[c] = kept.ToArray();
        }
        return result;
    }

    /// <summary>TESLA's teacher labels: softmax targets from a network with the iteration's target weights θ* in eval
    /// mode on the detached current images (temperature 1); constant for that iteration, neither learned nor saved.</summary>
    public static Tensor TeacherLogits(INetwork net, Tensor targetTheta, Tensor images) => Logits(net, targetTheta, images.Detach());
}
