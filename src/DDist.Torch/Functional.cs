namespace DDist.Torch;

public enum Reduction { None = 0, Mean = 1, Sum = 2 }

/// <summary>Stateless neural-network functions (torch.nn.functional). Optional tensors may be null.</summary>
public static unsafe class Functional
{
    private static nint P(Tensor? t) => t?.Ptr ?? 0;

    private static Tensor Done(int rc, nint r, params Tensor?[] keep)
    {
        var result = Tensor.Wrap(rc, r);
        GC.KeepAlive(keep);
        foreach (var k in keep) GC.KeepAlive(k);
        return result;
    }

    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null) =>
        Done(Native.dd_linear(x.Ptr, weight.Ptr, P(bias), out var r), r, x, weight, bias);

    /// <summary>bias·beta + alpha·(a @ b).</summary>
    public static Tensor AddMM(Tensor bias, Tensor a, Tensor b, double beta = 1, double alpha = 1) =>
        Done(Native.dd_addmm(bias.Ptr, a.Ptr, b.Ptr, beta, alpha, out var r), r, bias, a, b);

    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Conv2d(x, weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    /// <summary>2-D convolution. Its backward is itself a differentiable op whose derivatives use only forward
    /// convolutions and libtorch's convolution_backward, so second derivatives (trajectory matching) stay on the
    /// fast kernels; values and derivatives equal <see cref="Libtorch.Conv2d"/>.</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups = 1) =>
        Done(Native.dd_fast_conv2d(x.Ptr, weight.Ptr, P(bias), stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W, groups, out var r), r, x, weight, bias);

    public static Tensor MaxPool2d(Tensor x, int kernel, int? stride = null, int padding = 0) =>
        Done(Native.dd_max_pool2d(x.Ptr, kernel, kernel, stride ?? kernel, stride ?? kernel, padding, padding, out var r), r, x);

    /// <summary>Average pooling. Kernel 2 = stride without padding on float/double CPU tensors runs a fused kernel
    /// (first and second derivatives included); everything else is libtorch's avg_pool2d.</summary>
    public static Tensor AvgPool2d(Tensor x, int kernel, int? stride = null, int padding = 0) =>
        (stride ?? kernel) == kernel && padding == 0
            ? Done(Native.dd_fast_avg_pool2d(x.Ptr, kernel, out var f), f, x)
            : Libtorch.AvgPool2d(x, kernel, stride, padding);

    private static Tensor CompositeAvgPool2d(Tensor x, int kernel, int? stride, int padding) =>
        Done(Native.dd_avg_pool2d(x.Ptr, kernel, kernel, stride ?? kernel, stride ?? kernel, padding, padding, out var r), r, x);

    public static Tensor AdaptiveAvgPool2d(Tensor x, int outH, int outW) =>
        Done(Native.dd_adaptive_avg_pool2d(x.Ptr, outH, outW, out var r), r, x);

    /// <summary>Batch norm. In training it normalises with batch statistics (biased variance) and, when the
    /// running buffers are given, updates them in place (unbiased variance, as PyTorch).</summary>
    public static Tensor BatchNorm(Tensor x, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar,
                                   bool training, double momentum = 0.1, double eps = 1e-5)
    {
        if (!training && (runningMean is null || runningVar is null))
            throw new ArgumentException("batch norm in eval mode needs running mean and variance");
        if (training && runningMean is null && runningVar is null && weight is not null && bias is not null && x.Shape.Length >= 2)
            return BatchNormAsGroupNorm(x, weight, bias, eps);
        return Done(Native.dd_batch_norm(x.Ptr, P(weight), P(bias), P(runningMean), P(runningVar), training ? (byte)1 : (byte)0, momentum, eps, out var r),
                    r, x, weight, bias, runningMean, runningVar);
    }

    /// <summary>Training-mode batch norm without running statistics (the student network of trajectory matching):
    /// per channel over (N, H, W) is group norm with one group per channel of the (1, C, N·H·W) transpose, which
    /// runs the fused group-norm kernels (first and second derivatives) instead of libtorch's composite batch-norm
    /// double backward.</summary>
    private static Tensor BatchNormAsGroupNorm(Tensor x, Tensor weight, Tensor bias, double eps)
    {
        var shape = x.Shape;
        long channels = shape[1];
        var channelMajor = x.Transpose(0, 1).Contiguous();
        var normed = GroupNorm(channelMajor.Reshape(1, channels, -1), (int)channels, weight, bias, eps);
        return normed.Reshape([channels, shape[0], .. shape[2..]]).Transpose(0, 1).Contiguous();
    }

    public static Tensor InstanceNorm(Tensor x, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
        Done(Native.dd_instance_norm(x.Ptr, P(weight), P(bias), eps, out var r), r, x, weight, bias);

    /// <summary>Group norm (groups = channels is instance norm). With affine γ, β on float/double CPU tensors it runs
    /// fused kernels with hand-derived first and second derivatives (not third); otherwise libtorch's group_norm.</summary>
    public static Tensor GroupNorm(Tensor x, int groups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
        Done(Native.dd_fast_group_norm(x.Ptr, groups, P(weight), P(bias), eps, 0, out var r), r, x, weight, bias);

    /// <summary>Relu(GroupNorm(...)) in the same fused kernels (one pass fewer per derivative order).</summary>
    public static Tensor GroupNormRelu(Tensor x, int groups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
        Done(Native.dd_fast_group_norm(x.Ptr, groups, P(weight), P(bias), eps, 1, out var r), r, x, weight, bias);

    public static Tensor LayerNorm(Tensor x, long[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        fixed (long* s = normalizedShape)
            return Done(Native.dd_layer_norm(x.Ptr, s, normalizedShape.Length, P(weight), P(bias), eps, out var r), r, x, weight, bias);
    }

    public static Tensor Relu(Tensor x) => x.Relu();
    public static Tensor LeakyRelu(Tensor x, double slope = 0.01) => x.LeakyRelu(slope);
    public static Tensor Sigmoid(Tensor x) => x.Sigmoid();
    public static Tensor Tanh(Tensor x) => x.Tanh();
    public static Tensor Softmax(Tensor x, long dim) => x.Softmax(dim);
    public static Tensor LogSoftmax(Tensor x, long dim) => x.LogSoftmax(dim);

    public static Tensor Dropout(Tensor x, double p, bool training) =>
        Done(Native.dd_dropout(x.Ptr, p, training ? (byte)1 : (byte)0, out var r), r, x);

    /// <summary>Cross-entropy of logits against int64 class indices (N) or float class probabilities (N, K).</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, Reduction reduction = Reduction.Mean, double labelSmoothing = 0)
    {
        try
        {
            return Done(Native.dd_cross_entropy(logits.Ptr, target.Ptr, (long)reduction, labelSmoothing, out var r), r, logits, target);
        }
        catch (TorchException e)
        {
            // libtorch's text ("expected scalar type Long but found Float") does not say which argument is wrong.
            throw new TorchException($"cross-entropy of logits {logits} against target {target}: {e.Message} " +
                                     "(the target must be Int64 class indices shaped (N) or float class probabilities shaped like the logits)");
        }
    }

    public static Tensor MseLoss(Tensor a, Tensor b, Reduction reduction = Reduction.Mean) =>
        Done(Native.dd_mse_loss(a.Ptr, b.Ptr, (long)reduction, out var r), r, a, b);

    /// <summary>Sampling grid for 2-D affine warps: theta (N,2,3), size (N,C,H,W).</summary>
    public static Tensor AffineGrid(Tensor theta, long[] size, bool alignCorners)
    {
        fixed (long* s = size)
            return Done(Native.dd_affine_grid(theta.Ptr, s, size.Length, alignCorners ? (byte)1 : (byte)0, out var r), r, theta);
    }

    public enum SampleMode { Bilinear = 0, Nearest = 1 }
    public enum PaddingMode { Zeros = 0, Border = 1, Reflection = 2 }

    /// <summary>torch.nn.functional.grid_sample: x (N,C,H,W) sampled at grid (N,Ho,Wo,2) in [-1, 1]. On CUDA in
    /// deterministic mode (<see cref="Tensors.Deterministic"/>) the bilinear, zero-padded case runs as
    /// <see cref="GridSampleByGather"/>, whose backward repeats bit for bit where grid_sample's does not.</summary>
    public static Tensor GridSample(Tensor x, Tensor grid, bool alignCorners, SampleMode mode = SampleMode.Bilinear, PaddingMode padding = PaddingMode.Zeros) =>
        Done(Native.dd_grid_sample(x.Ptr, grid.Ptr, (long)mode, (long)padding, alignCorners ? (byte)1 : (byte)0, out var r), r, x, grid);

    /// <summary>Bilinear grid sampling with zero padding written as four gathers (one per corner of each sampling
    /// point's cell): the same values and derivatives as <see cref="GridSample"/>, differentiable twice.</summary>
    public static Tensor GridSampleByGather(Tensor x, Tensor grid, bool alignCorners) =>
        Done(Native.dd_grid_sample_gather(x.Ptr, grid.Ptr, alignCorners ? (byte)1 : (byte)0, out var r), r, x, grid);

    public static Tensor InterpolateBilinear(Tensor x, int outH, int outW, bool alignCorners) =>
        Done(Native.dd_interpolate_bilinear(x.Ptr, outH, outW, alignCorners ? (byte)1 : (byte)0, out var r), r, x);

    /// <summary>libtorch's own composite ops, which the fast paths above replace: the reference the fast ops are
    /// tested against, and a fallback to compare speed with.</summary>
    public static class Libtorch
    {
        public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
            Done(Native.dd_conv2d(x.Ptr, weight.Ptr, P(bias), stride, stride, padding, padding, dilation, dilation, groups, out var r), r, x, weight, bias);

        public static Tensor AvgPool2d(Tensor x, int kernel, int? stride = null, int padding = 0) => CompositeAvgPool2d(x, kernel, stride, padding);

        public static Tensor GroupNorm(Tensor x, int groups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
            Done(Native.dd_group_norm(x.Ptr, groups, P(weight), P(bias), eps, out var r), r, x, weight, bias);
    }
}
