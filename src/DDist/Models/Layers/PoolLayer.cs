using DDist.Torch;

namespace DDist.Models.Layers;

/// <summary>Non-overlapping pooling (kernel = stride); output size floor(H / kernel).</summary>
internal sealed class PoolLayer : ILayer
{
    private readonly bool _max;
    private readonly int _kernel;

    public PoolLayer(bool max, int kernel = 2) { _max = max; _kernel = kernel; }

    public static PoolLayer Max2 { get; } = new(true);
    public static PoolLayer Avg2 { get; } = new(false);

    public Tensor Apply(Tensor x, ForwardContext ctx) =>
        _max ? Functional.MaxPool2d(x, _kernel) : Functional.AvgPool2d(x, _kernel);

    public FeatureShape OutputShape(FeatureShape s) => new(s.Channels, s.Height / _kernel, s.Width / _kernel);
}
