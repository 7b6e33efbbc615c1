using DDist.Torch;

namespace DDist.Models.Layers;

/// <summary>torch.nn.LocalResponseNorm(size, α, β, k): x / (k + α/size · Σ_{c' in window} x_{c'}²)^β, the window
/// running from c − ⌊size/2⌋ to c + ⌈size/2⌉ − 1 over zero-padded channels (as F.local_response_norm pads them).
/// Built from differentiable ops, so it is twice differentiable for unrolled distillation.</summary>
internal sealed class LocalResponseNormLayer(int size, double alpha, double beta, double k) : ILayer
{
    public Tensor Apply(Tensor x, ForwardContext ctx)
    {
        using var scope = new TensorScope();
        long c = x.Size(1);
        var padded = x.Square().Pad([0, 0, 0, 0, size / 2, (size - 1) / 2]);
        var sum = padded.Narrow(1, 0, c);
        for (int j = 1; j < size; j++) sum = sum + padded.Narrow(1, j, c);
        var div = sum.Mul(alpha / size).Add(k).Pow(beta);
        return x.Div(div).MoveToOuterScope();
    }

    public FeatureShape OutputShape(FeatureShape input) => input;
}

/// <summary>Overlapping max pooling (kernel, stride, padding), e.g. AlexCifarNet's MaxPool2d(3, 2, 1).</summary>
internal sealed class OverlappingMaxPoolLayer(int kernel, int stride, int padding) : ILayer
{
    public Tensor Apply(Tensor x, ForwardContext ctx) => Functional.MaxPool2d(x, kernel, stride, padding);

    public FeatureShape OutputShape(FeatureShape s) =>
        new(s.Channels, (s.Height + 2 * padding - kernel) / stride + 1, (s.Width + 2 * padding - kernel) / stride + 1);
}
