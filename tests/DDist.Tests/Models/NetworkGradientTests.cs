using DDist.Models;
using DDist.Torch;

namespace DDist.Tests.Models;

public class NetworkGradientTests
{
    private static readonly ConvNetOptions Tiny = new(3, 3, 8, 8) { Name = "tiny", Width = 4, Depth = 2 };

    [Fact]
    public void ForwardIsDifferentiableInParametersAndImages()
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(11);
        var net = ConvNet.Create(Tiny);
        var p = net.InitParameters().To(DType.Float64);
        var x = Tensors.Randn([2, 3, 8, 8], DType.Float64);
        var weights = Tensors.Randn([2, 3], DType.Float64); // a generic linear functional of the logits
        FiniteDifference.AssertGradientMatches(flat => (net.Forward(x, flat, null, true) * weights).Sum(), p, samples: 60);
        FiniteDifference.AssertGradientMatches(img => (net.Forward(img, p, null, true) * weights).Sum(), x, samples: 60);
    }

    [Fact]
    public void BatchNormNetworkIsDifferentiableInParameters()
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(12);
        var net = ConvNet.Create(Tiny with { Norm = NormKind.BatchNorm, Pooling = PoolingKind.MaxPooling, Activation = ActivationKind.LeakyRelu });
        var p = net.InitParameters().To(DType.Float64);
        var x = Tensors.Randn([3, 3, 8, 8], DType.Float64);
        var weights = Tensors.Randn([3, 3], DType.Float64);
        FiniteDifference.AssertGradientMatches(flat => (net.Forward(x, flat, null, true) * weights).Sum(), p, samples: 40);
    }

    [Fact]
    public void GradientReachesEverySlotOfTheFlatVector()
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(13);
        var net = ModelZoo.Create("ResNet18BN", 3, 10, 32, 32);
        var p = net.InitParameters().RequiresGrad_();
        var x = Tensors.Randn([2, 3, 32, 32]);
        var loss = Functional.CrossEntropy(net.Forward(x, p, null, true), Tensors.FromArray(new long[] { 1, 7 }));
        var g = Autograd.Grad(loss, p);
        Assert.Equal(net.ParameterCount, g.NumEl);
        var host = g.ToArray<float>();
        foreach (var slot in net.Layout)
        {
            bool any = false;
            for (long i = slot.Offset; i < slot.Offset + slot.Count && !any; i++) any = host[i] != 0;
            Assert.True(any, $"no gradient reaches {slot.Name}");
        }
    }
}
