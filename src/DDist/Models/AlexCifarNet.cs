using DDist.Models.Layers;

namespace DDist.Models;

/// <summary>DD's AlexCifarNet (Wang et al. 2018, `networks/networks.py`): conv5(64, pad 2) → ReLU → maxpool(3, 2, 1)
/// → LRN(4, 0.001/9, 0.75, 1) → conv5(64, pad 2) → ReLU → LRN → maxpool(3, 2, 1) → FC 384 → ReLU → FC 192 → ReLU
/// → FC K. The embedding is the 192-wide layer.</summary>
public static class AlexCifarNet
{
    public static SequentialNetwork Create(int channels, int numClasses, int height, int width, string name = "AlexCifarNet")
    {
        var b = new NetworkBuilder(name, new FeatureShape(channels, height, width));
        var lrn = new LocalResponseNormLayer(4, 0.001 / 9.0, 0.75, 1);
        var pool = new OverlappingMaxPoolLayer(3, 2, 1);
        b.Add(new Conv2dLayer(b, "features.0", channels, 64, kernel: 5, padding: 2)).Add(ActivationLayer.Relu).Add(pool).Add(lrn);
        b.Add(new Conv2dLayer(b, "features.4", 64, 64, kernel: 5, padding: 2)).Add(ActivationLayer.Relu).Add(lrn).Add(pool);
        b.Add(FlattenLayer.Instance);
        b.Add(new LinearLayer(b, "classifier.0", b.Shape.Count, 384)).Add(ActivationLayer.Relu);
        b.Add(new LinearLayer(b, "classifier.2", 384, 192)).Add(ActivationLayer.Relu);
        return b.Build([new LinearLayer(b, "classifier.4", 192, numClasses)], 192);
    }
}
