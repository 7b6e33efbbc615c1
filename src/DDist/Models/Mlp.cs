using DDist.Models.Layers;

namespace DDist.Models;

/// <summary>MLP: flatten → Linear(C·H·W, 128) → ReLU → Linear(128, 128) → ReLU → Linear(128, K).
/// The embedding is the second hidden layer's output (128).</summary>
public static class Mlp
{
    public static SequentialNetwork Create(int channels, int numClasses, int height, int width, string name = "MLP")
    {
        var b = new NetworkBuilder(name, new FeatureShape(channels, height, width));
        b.Add(FlattenLayer.Instance);
        b.Add(new LinearLayer(b, "fc_1", b.Shape.Count, 128)).Add(ActivationLayer.Relu);
        b.Add(new LinearLayer(b, "fc_2", 128, 128)).Add(ActivationLayer.Relu);
        return b.Build([new LinearLayer(b, "fc_3", 128, numClasses)], 128);
    }
}
