using DDist.Models.Layers;

namespace DDist.Models;

/// <summary>The reference's small AlexNet (no norm layers): conv5 128 (pad 4 for 1 channel, else 2) → pool →
/// conv5 192 → pool → conv3 256 → conv3 192 → conv3 192 → pool → FC K; 192·4·4 features at 28 and 32 pixels.</summary>
public static class AlexNet
{
    public static SequentialNetwork Create(int channels, int numClasses, int height, int width, string name = "AlexNet")
    {
        var b = new NetworkBuilder(name, new FeatureShape(channels, height, width));
        var relu = ActivationLayer.Relu;
        b.Add(new Conv2dLayer(b, "features.0", channels, 128, kernel: 5, padding: channels == 1 ? 4 : 2)).Add(relu).Add(PoolLayer.Max2);
        b.Add(new Conv2dLayer(b, "features.3", 128, 192, kernel: 5, padding: 2)).Add(relu).Add(PoolLayer.Max2);
        b.Add(new Conv2dLayer(b, "features.6", 192, 256, kernel: 3, padding: 1)).Add(relu);
        b.Add(new Conv2dLayer(b, "features.8", 256, 192, kernel: 3, padding: 1)).Add(relu);
        b.Add(new Conv2dLayer(b, "features.10", 192, 192, kernel: 3, padding: 1)).Add(relu).Add(PoolLayer.Max2);
        long features = b.Shape.Count;
        return b.Build([new LinearLayer(b, "fc", features, numClasses)], features);
    }
}
