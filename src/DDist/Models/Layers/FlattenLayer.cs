using DDist.Torch;

namespace DDist.Models.Layers;

/// <summary>(N, C, H, W) → (N, C·H·W) in row-major (C, H, W) order, as x.view(N, -1).</summary>
internal sealed class FlattenLayer : ILayer
{
    public static readonly FlattenLayer Instance = new();
    public Tensor Apply(Tensor x, ForwardContext ctx) => x.Flatten(1);
    public FeatureShape OutputShape(FeatureShape s) => new(s.Count, 1, 1);
}
