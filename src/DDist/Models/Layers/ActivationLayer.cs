using DDist.Torch;

namespace DDist.Models.Layers;

internal sealed class ActivationLayer(ActivationKind kind) : ILayer
{
    public static readonly ActivationLayer Relu = new(ActivationKind.Relu);

    public Tensor Apply(Tensor x, ForwardContext ctx) => kind switch
    {
        ActivationKind.Relu => x.Relu(),
        ActivationKind.Sigmoid => x.Sigmoid(),
        ActivationKind.LeakyRelu => x.LeakyRelu(0.01),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown activation"),
    };

    public FeatureShape OutputShape(FeatureShape s) => s;
}
