using DDist.Models.Layers;

namespace DDist.Models;

/// <summary>LeNet: conv5(6, pad 2 for 1 channel) → ReLU → maxpool → conv5(16) → ReLU → maxpool → FC 120 → ReLU
/// → FC 84 → ReLU → FC K. The embedding is the 84-wide layer.</summary>
public static class LeNet
{
    public static SequentialNetwork Create(int channels, int numClasses, int height, int width, string name = "LeNet")
    {
        var b = new NetworkBuilder(name, new FeatureShape(channels, height, width));
        b.Add(new Conv2dLayer(b, "features.0", channels, 6, kernel: 5, padding: channels == 1 ? 2 : 0)).Add(ActivationLayer.Relu).Add(PoolLayer.Max2);
        b.Add(new Conv2dLayer(b, "features.3", 6, 16, kernel: 5)).Add(ActivationLayer.Relu).Add(PoolLayer.Max2);
        b.Add(FlattenLayer.Instance);
        b.Add(new LinearLayer(b, "fc_1", b.Shape.Count, 120)).Add(ActivationLayer.Relu);
        b.Add(new LinearLayer(b, "fc_2", 120, 84)).Add(ActivationLayer.Relu);
        return b.Build([new LinearLayer(b, "fc_3", 84, numClasses)], 84);
    }
}
