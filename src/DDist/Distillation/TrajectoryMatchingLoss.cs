using DDist.Distillation.Unrolling;
using DDist.Models;
using DDist.Torch;

namespace DDist.Distillation;

/// <summary>The MTT matching loss of one outer iteration (Cazenavette et al. 2022, MTT `distill.py`): starting from
/// the expert's θ₀, take N plain SGD steps θ ← θ − α·∇CE on mini-batches of the synthetic set, keeping the graph of
/// every step (createGraph) so the loss can be differentiated back to the pixels and to α; then
/// L = ‖θ_N − θ*‖² / ‖θ₀ − θ*‖².</summary>
public static class TrajectoryMatchingLoss
{
    /// <param name="images">The whole synthetic set (differentiable with respect to its learnable part).</param>
    /// <param name="lr">The student step size α as a 0-d tensor (requires grad to learn it).</param>
    /// <param name="batchSyn">Mini-batch size; null = the whole set per step.</param>
    /// <param name="augment">Non-Siamese DSA applied to every mini-batch (null = none).</param>
    /// <returns>The scalar loss, still attached to the graph. Call inside a TensorScope: the unrolled graph holds
    /// N steps of activations and is freed with the scope.</returns>
    public static Tensor Compute(INetwork student, Tensor images, Tensor labels, Tensor lr, Tensor theta0, Tensor thetaStar,
                                 int synSteps, int? batchSyn, Func<Tensor, Tensor>? augment)
    {
        long n = images.Size(0);
        long batch = Math.Min(batchSyn ?? n, n);
        var start = theta0.Detach().RequiresGrad_();
        var theta = start;
        var chunks = new Stack<Tensor>();
        for (int step = 0; step < synSteps; step++)
        {
            if (chunks.Count == 0)
                foreach (var chunk in Tensors.RandPerm(n, DType.Int64, images.Device).Split(batch))
                    chunks.Push(chunk);                       // popping takes the last (possibly short) chunk first, as list.pop()
            var idx = chunks.Pop();
            var x = images.IndexSelect(0, idx);
            if (augment is not null) x = augment(x);
            var logits = student.Forward(x, theta, null, training: true);
            var ce = Functional.CrossEntropy(logits, labels.IndexSelect(0, idx));
            var grad = Autograd.Grad([ce], [theta], createGraph: true)[0]!;
            theta = theta - lr * grad;
        }
        var num = (theta - thetaStar).Square().Sum();
        var den = (theta0 - thetaStar).Square().Sum();
        return num / den;
    }

    /// <summary>The same loss as an <see cref="UnrollProblem"/> for <see cref="UnrolledGradient"/>: the same batches
    /// (<see cref="MinibatchSchedule"/>, drawn in the same order from the same generator), the same augmentation
    /// calls and L(θ_N) = ‖θ_N − θ*‖² / ‖θ₀ − θ*‖², whose gradient is λ_N = 2(θ_N − θ*)/‖θ₀ − θ*‖².</summary>
    /// <param name="schedule">The batch schedule the problem draws from; dispose it after the computation.</param>
    public static UnrollProblem Problem(INetwork student, Tensor images, Tensor labels, Tensor lr, Tensor theta0, Tensor thetaStar,
                                        int synSteps, int? batchSyn, Func<Tensor, Tensor>? augment, out MinibatchSchedule schedule)
    {
        long n = images.Size(0);
        var batches = new MinibatchSchedule(n, Math.Min(batchSyn ?? n, n), images.Device);
        schedule = batches;
        var start = theta0.Detach();
        var target = thetaStar.Detach();
        return new UnrollProblem
        {
            Forward = (x, theta) => student.Forward(x, theta, null, training: true),
            Images = images,
            StepLoss = (logits, idx, _) => Functional.CrossEntropy(logits, labels.IndexSelect(0, idx)),
            StepSize = lr,
            Theta0 = start,
            Steps = synSteps,
            NextBatch = _ => batches.Next(),
            Augment = augment,
            TerminalLoss = theta => (theta - target).Square().Sum() / (start - target).Square().Sum(),
        };
    }
}
