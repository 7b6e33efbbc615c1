using DDist.Models.Layers;

namespace DDist.Models;

/// <summary>VGG11 of the reference: config 64 M 128 M 256 256 M 512 512 M 512 512 M, each number a conv3×3 →
/// norm → ReLU (the first conv pads by 3 for 1-channel input), M a 2×2 max pool, then Linear(512 → K).
/// Norm is GroupNorm(c, c) ("instancenorm") for VGG11 and BatchNorm for VGG11BN. The trailing
/// AvgPool2d(1, 1) of the reference is the identity and is left out.</summary>
public static class Vgg
{
    private static readonly int[] Vgg11Config = [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0]; // 0 = max pool

    public static SequentialNetwork Create11(int channels, int numClasses, int height, int width, NormKind norm, string name)
    {
        if (norm is not (NormKind.InstanceNorm or NormKind.BatchNorm))
            throw new ArgumentException($"{name}: VGG supports instancenorm or batchnorm, not {norm}");
        var b = new NetworkBuilder(name, new FeatureShape(channels, height, width));
        for (int i = 0; i < Vgg11Config.Length; i++)
        {
            int c = Vgg11Config[i];
            if (c == 0)
            {
                b.Add(PoolLayer.Max2);
                b.ModuleIndex++;
                continue;
            }
            int padding = channels == 1 && i == 0 ? 3 : 1;
            b.Add(new Conv2dLayer(b, $"features.{b.ModuleIndex++}", b.Shape.Channels, c, kernel: 3, padding: padding));
            b.Add(NormLayers.Create(b, $"features.{b.ModuleIndex++}", norm, b.Shape)!);
            b.Add(ActivationLayer.Relu);
            b.ModuleIndex++;
        }
        long features = b.Shape.Count;
        return b.Build([new LinearLayer(b, "classifier", features, numClasses)], features);
    }
}
