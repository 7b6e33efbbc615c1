using DDist.Augment;
using DDist.Models;
using DDist.Torch;

namespace DDist.Tests.Models;

/// <summary>Forward passes and augmentations run thousands of times per distillation: every native tensor they
/// create must be released by the caller's scope. Counts are process-wide, so this runs alone.</summary>
[Collection(SerialRngCollection.Name)]
public class NativeMemoryTests
{
    [Fact]
    public void ForwardBackwardAndAugmentationReleaseEverythingWithTheScope()
    {
        var net = ModelZoo.Create("ConvNetBN(width=8)", 1, 10, 28, 28);
        using var p = net.InitParameters();
        using var state = net.CreateState();
        using var x = Tensors.Randn([4, 1, 28, 28]);
        using var y = Tensors.FromArray(new long[] { 0, 1, 2, 3 });
        long before = LiveTensors.SettledNative();
        for (int i = 0; i < 3; i++)
        {
            using var scope = new TensorScope();
            var flat = p.Detach().RequiresGrad_();
            var images = Augmenter.Apply(x, AugMode.Combined, new AugmentOptions(), distilledCount: 2);
            using (var draw = Dsa.Draw(DsaStrategies.Default, 4, 28, 28, DsaParams.Default, siamese: true))
                images = draw.Apply(images);
            var loss = Functional.CrossEntropy(net.Forward(images, flat, state, training: true), y);
            Autograd.Grad(loss, flat);
            net.Embed(x, flat, state, training: false);
        }
        // No collection here: a leaked handle's finalizer would free it and hide the leak.
        Assert.Equal(before, Tensor.NativeLiveCount);
    }
}
