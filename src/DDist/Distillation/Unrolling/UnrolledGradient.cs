using DDist.Torch;

namespace DDist.Distillation.Unrolling;

/// <summary>Gradients of a loss taken after N unrolled inner SGD steps (trajectory matching, DD, soft labels) with
/// respect to the images, the step size(s) and an optional extra leaf, by full unrolling, by exact reverse mode
/// with recomputation, or by TESLA's approximation (<see cref="UnrollMode"/>).
/// <para>The reverse modes follow the adjoint recursion (Maclaurin et al. 2015, "Gradient-based hyperparameter
/// optimization through reversible learning"; Wang et al. 2018, DD's manual reverse loop): with λ_i = ∂L/∂θ_i,
/// θ_{i+1} = θ_i − α_i g_i(θ_i, X_i) gives λ_i = λ_{i+1} − α_i H_i λ_{i+1}, ∂L/∂X_i = −α_i (∂g_i/∂X_i)ᵀ λ_{i+1}
/// and ∂L/∂α_i = −g_iᵀ λ_{i+1}; all three come from one double backward of s_i = g_i · λ_{i+1}.</para></summary>
public static class UnrolledGradient
{
    public static UnrollGradients Compute(UnrollProblem p, UnrollMode mode)
    {
        Validate(p);
        return mode switch
        {
            UnrollMode.Full => FullUnroll(p),
            UnrollMode.Exact => Reverse(p, tesla: false),
            UnrollMode.Tesla => Reverse(p, tesla: true),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown unroll mode"),
        };
    }

    private static void Validate(UnrollProblem p)
    {
        if (p.Steps < 1) throw new ArgumentOutOfRangeException(nameof(p), $"field 'Steps' is {p.Steps}, expected ≥ 1");
        var s = p.StepSize.Shape;
        if (!(s.Length == 0 || (s.Length == 1 && s[0] == p.Steps)))
            throw new ArgumentException($"field 'StepSize' has shape [{string.Join(", ", s)}], expected a 0-d tensor or [{p.Steps}] (one per step)");
    }

    private static Tensor StepSizeAt(Tensor lr, int i) => lr.Shape.Length == 0 ? lr : lr.Select(0, i);

    /// <summary>The reference MTT inner loop: every step's gradient keeps its graph, one backward at the end.</summary>
    private static UnrollGradients FullUnroll(UnrollProblem p)
    {
        using var scope = new TensorScope();
        var images = p.Images.Detach().RequiresGrad_();
        var lr = p.StepSize.Detach().RequiresGrad_();
        var extra = p.Extra?.Detach().RequiresGrad_();
        var theta = p.Theta0.Detach().RequiresGrad_();
        var batches = new List<Tensor>();
        try
        {
            for (int i = 0; i < p.Steps; i++)
            {
                var idx = p.NextBatch(i);
                batches.Add(idx);
                var x = images.IndexSelect(0, idx);
                if (p.Augment is not null) x = p.Augment(x);
                var loss = p.StepLoss(p.Forward(x, theta), idx, extra);
                var g = Autograd.Grad([loss], [theta], createGraph: true)[0]!;
                theta = theta - StepSizeAt(lr, i) * g;
            }
            var terminal = p.TerminalLoss(theta);
            double value = terminal.Item();
            var grads = Autograd.Grad([terminal], extra is null ? [images, lr] : [images, lr, extra], allowUnused: true);
            return new UnrollGradients(value, OrZeros(grads[0], images), OrZeros(grads[1], lr),
                                       extra is null ? null : OrZeros(grads[2], extra), Exact: true);
        }
        finally
        {
            foreach (var b in batches) b.Dispose();
        }
    }

    private static Tensor OrZeros(Tensor? g, Tensor like) => (g ?? Tensors.Zeros(like.Shape, like.DType, like.Device)).DetachFromScope();

    /// <summary>Exact reverse mode (or TESLA's approximation): a forward pass without second-order graphs that keeps
    /// θ_i, the batch and the generator state per step, then a backward walk that rebuilds one step at a time.</summary>
    private static UnrollGradients Reverse(UnrollProblem p, bool tesla)
    {
        int n = p.Steps;
        var device = p.Theta0.Device;
        // Augmentation draws on the images' device (its own generator on a GPU) and on the CPU; the replay restores both.
        var drawsOn = p.Images.Device;
        bool onHost = p.CheckpointsOnHost && device.Type == DeviceType.Cuda;
        var thetas = new Tensor?[n];
        var batches = new Tensor?[n];
        var rngStates = new RngSnapshot?[n];
        RngSnapshot? rngAfter = null;
        Tensor? lambda = null;
        using var scope = new TensorScope();
        Tensor? lastTh = null, lastG = null;   // step N − 1's leaf θ and gradient, with its second-order graph
        try
        {
            var images = p.Images.Detach();
            var lr = p.StepSize.Detach();
            var extraValue = p.Extra?.Detach();
            var imageLeaf = images.Detach().RequiresGrad_();
            var extraLeaf = extraValue?.Detach().RequiresGrad_();
            var theta = p.Theta0.Detach().Clone().DetachFromScope();
            for (int i = 0; i < n; i++)
            {
                // Step N − 1 is the reverse walk's first: its gradient is taken with its second-order graph right
                // away (kept in lastTh/lastG past the step) instead of once without it now and again with it in the
                // reverse walk. That graph is one step's, the working set the reverse walk needs anyway: peak memory
                // stays flat in N, and one forward and one backward per iteration are saved.
                bool keep = i == n - 1;
                using var step = new TensorScope();
                batches[i] = p.NextBatch(i).DetachFromScope();
                var th = theta.Detach().RequiresGrad_();
                var x = (keep ? imageLeaf : images).IndexSelect(0, batches[i]!);
                if (p.Augment is not null)
                {
                    rngStates[i] = RngSnapshot.Take(drawsOn);
                    x = p.Augment(x);
                }
                var loss = p.StepLoss(p.Forward(x, th), batches[i]!, keep ? extraLeaf : extraValue);
                var g = Autograd.Grad([loss], [th], createGraph: keep)[0]!;
                if (keep) (lastTh, lastG) = (th.DetachFromScope(), g.DetachFromScope());
                Tensor next;
                using (Tensors.NoGrad()) next = (theta - StepSizeAt(lr, i) * g).DetachFromScope();
                if (onHost)
                {
                    thetas[i] = theta.To(Device.Cpu).DetachFromScope();
                    theta.Dispose();
                }
                else thetas[i] = theta;
                theta = next;
            }
            if (p.Augment is not null) rngAfter = RngSnapshot.Take(drawsOn);

            double value;
            using (var terminal = new TensorScope())
            {
                var th = theta.Detach().RequiresGrad_();
                var loss = p.TerminalLoss(th);
                value = loss.Item();
                lambda = Autograd.Grad([loss], [th])[0]!.Detach().Clone().DetachFromScope();
            }
            theta.Dispose();

            var gImages = Tensors.Zeros(images.Shape, images.DType, images.Device);
            var gLr = Tensors.Zeros(lr.Shape, lr.DType, lr.Device);
            var gExtra = extraLeaf is null ? null : Tensors.Zeros(extraLeaf.Shape, extraLeaf.DType, extraLeaf.Device);
            for (int i = n - 1; i >= 0; i--)
            {
                using var step = new TensorScope();
                Tensor th, g;
                if (i == n - 1) (th, g) = (lastTh!, lastG!);
                else
                {
                    th = thetas[i]!.To(device).Detach().RequiresGrad_();
                    rngStates[i]?.Restore();
                    var x = imageLeaf.IndexSelect(0, batches[i]!);
                    if (p.Augment is not null) x = p.Augment(x);
                    var loss = p.StepLoss(p.Forward(x, th), batches[i]!, extraLeaf);
                    g = Autograd.Grad([loss], [th], createGraph: true)[0]!;
                }
                var s = (g * lambda).Sum();                                    // s_i = g_i · λ_{i+1}, λ constant
                var inputs = new List<Tensor> { imageLeaf };
                if (!tesla) inputs.Add(th);
                if (extraLeaf is not null) inputs.Add(extraLeaf);
                var r = Autograd.Grad([s], inputs, allowUnused: true);
                double a = StepSizeAt(lr, i).Item();
                using (Tensors.NoGrad())
                {
                    if (r[0] is { } v) gImages.AddInPlace(v, -a);                // ∂L/∂X += −α_i (∂g_i/∂X)ᵀ λ_{i+1}
                    StepSizeAt(gLr, i).AddInPlace(s.Detach(), -1);              // ∂L/∂α_i = −g_iᵀ λ_{i+1}
                    if (extraLeaf is not null && r[^1] is { } w) gExtra!.AddInPlace(w, -a);
                    if (!tesla) lambda.AddInPlace(r[1]!, -a);                   // λ_i = λ_{i+1} − α_i H_i λ_{i+1}
                }
                if (i == n - 1)
                {
                    lastG!.Dispose();                                           // step N − 1's graph goes with them
                    lastTh!.Dispose();
                    lastG = lastTh = null;
                }
                // TESLA (approximate) keeps λ_N for every step: the later steps' Hessian terms are dropped.
            }
            return new UnrollGradients(value, gImages.DetachFromScope(), gLr.DetachFromScope(), gExtra?.DetachFromScope(), Exact: !tesla);
        }
        finally
        {
            rngAfter?.Restore();
            rngAfter?.Dispose();
            lambda?.Dispose();
            lastG?.Dispose();
            lastTh?.Dispose();
            foreach (var t in thetas) t?.Dispose();
            foreach (var t in batches) t?.Dispose();
            foreach (var t in rngStates) t?.Dispose();
        }
    }
}
