using DDist.Models.Layers;

namespace DDist.Models;

/// <summary>Options of the reference ConvNet: <see cref="Depth"/> blocks of conv3×3(<see cref="Width"/>) → norm →
/// activation → pooling, then Linear(features → classes). Defaults are the plain "ConvNet".</summary>
public sealed record ConvNetOptions(int Channels, int NumClasses, int ImageHeight, int ImageWidth)
{
    public string Name { get; init; } = "ConvNet";
    public int Width { get; init; } = 128;
    public int Depth { get; init; } = 3;
    public NormKind Norm { get; init; } = NormKind.InstanceNorm;
    public ActivationKind Activation { get; init; } = ActivationKind.Relu;
    public PoolingKind Pooling { get; init; } = PoolingKind.AvgPooling;
}

/// <summary>The ConvNet family (DC/MTT `networks.py` ConvNet). The first conv pads by 3 for 1-channel input, so 28×28
/// digits become 32×32 feature maps (the reference's "im_size 28 is treated as 32"); the classifier's fan-in is
/// computed from the actual feature-map size, which equals the reference wherever the reference runs.</summary>
public static class ConvNet
{
    public static SequentialNetwork Create(ConvNetOptions o)
    {
        if (o.Width < 1 || o.Depth < 1 || o.NumClasses < 1)
            throw new ArgumentException($"{o.Name}: width {o.Width}, depth {o.Depth} and classes {o.NumClasses} must be positive");
        var b = new NetworkBuilder(o.Name, new FeatureShape(o.Channels, o.ImageHeight, o.ImageWidth));
        var pool = o.Pooling switch
        {
            PoolingKind.AvgPooling => PoolLayer.Avg2,
            PoolingKind.MaxPooling => PoolLayer.Max2,
            _ => null,
        };
        var act = new ActivationLayer(o.Activation);
        for (int d = 0; d < o.Depth; d++)
        {
            // Module indices follow the reference's nn.Sequential, so slot names match its state_dict ("features.0.weight").
            int padding = o.Channels == 1 && d == 0 ? 3 : 1;
            b.Add(new Conv2dLayer(b, $"features.{b.ModuleIndex++}", b.Shape.Channels, o.Width, kernel: 3, padding: padding));
            bool reluFused = false;
            if (NormLayers.Create(b, $"features.{b.ModuleIndex}", o.Norm, b.Shape) is { } norm)
            {
                // Group/instance norm followed by ReLU runs as one fused op (same values and derivatives).
                if (norm is GroupNormLayer groupNorm && o.Activation == ActivationKind.Relu)
                {
                    groupNorm.FuseRelu();
                    reluFused = true;
                }
                b.Add(norm);
                b.ModuleIndex++;
            }
            if (!reluFused) b.Add(act);
            b.ModuleIndex++;
            if (pool is not null)
            {
                b.Add(pool);
                b.ModuleIndex++;
            }
        }
        long features = b.Shape.Count;
        return b.Build([new LinearLayer(b, "classifier", features, o.NumClasses)], features);
    }
}
