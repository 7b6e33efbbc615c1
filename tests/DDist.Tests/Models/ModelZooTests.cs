using DDist.Models;
using DDist.Torch;

namespace DDist.Tests.Models;

public class ModelZooTests
{
    [Theory]
    // DC/MTT `networks.py` ConvNet: conv1 1,280 + 3 norms × 256 + conv2 147,584 + conv3 147,584 + fc 20,490.
    [InlineData("ConvNet", 1, 28, 28, 10, 317_706)]
    [InlineData("ConvNetBN", 1, 28, 28, 10, 317_706)]
    [InlineData("ConvNet", 3, 32, 32, 10, 320_010)]
    [InlineData("ConvNetBN", 3, 32, 32, 10, 320_010)]
    [InlineData("ConvNet", 3, 32, 32, 100, 504_420)]
    [InlineData("ConvNetD4", 3, 64, 64, 200, 857_160)]
    [InlineData("ConvNetD4BN", 3, 64, 64, 200, 857_160)]
    [InlineData("ResNet18BN", 3, 32, 32, 10, 11_173_962)]
    [InlineData("ResNet18", 3, 32, 32, 10, 11_173_962)]
    public void ParameterCountsMatchReference(string name, int c, int h, int w, int k, long expected)
    {
        var net = ModelZoo.Create(name, c, k, h, w);
        Assert.Equal(expected, net.ParameterCount);
        Assert.Equal(expected, net.Layout.Sum(s => s.Count));
    }

    [Fact]
    public void ParameterCountsDerivedByHand()
    {
        // MLP: 784·128+128 = 100,480; 128·128+128 = 16,512; 128·10+10 = 1,290.
        Assert.Equal(100_480 + 16_512 + 1_290, Count("MLP", 1, 28, 10));
        // MLP on 3×32×32: 3072·128+128 = 393,344.
        Assert.Equal(393_344 + 16_512 + 1_290, Count("MLP", 3, 32, 10));
        // LeNet: conv1 6·1·25+6 = 156; conv2 16·6·25+16 = 2,416; fc 400·120+120 = 48,120; 120·84+84 = 10,164; 84·10+10 = 850.
        Assert.Equal(156 + 2_416 + 48_120 + 10_164 + 850, Count("LeNet", 1, 28, 10));
        // LeNet on 3 channels: conv1 6·3·25+6 = 456.
        Assert.Equal(456 + 2_416 + 48_120 + 10_164 + 850, Count("LeNet", 3, 32, 10));
        // AlexNet: conv 128·3·25+128 = 9,728; 192·128·25+192 = 614,592; 256·192·9+256 = 442,624;
        // 192·256·9+192 = 442,560; 192·192·9+192 = 331,968; fc 192·4·4·10+10 = 30,730.
        Assert.Equal(9_728 + 614_592 + 442_624 + 442_560 + 331_968 + 30_730, Count("AlexNet", 3, 32, 10));
        // AlexNet on 1 channel: conv1 128·1·25+128 = 3,328 (pad 4 keeps the 4×4 feature map).
        Assert.Equal(3_328 + 614_592 + 442_624 + 442_560 + 331_968 + 30_730, Count("AlexNet", 1, 28, 10));
        // VGG11: convs 3·64·9+64 = 1,792; 64·128·9+128 = 73,856; 128·256·9+256 = 295,168; 256·256·9+256 = 590,080;
        // 256·512·9+512 = 1,180,160; three of 512·512·9+512 = 2,359,808; norms 2·(64+128+256+256+4·512) = 5,504;
        // fc 512·10+10 = 5,130.
        long vgg = 1_792 + 73_856 + 295_168 + 590_080 + 1_180_160 + 3 * 2_359_808 + 5_504 + 5_130;
        Assert.Equal(vgg, Count("VGG11", 3, 32, 10));
        Assert.Equal(vgg, Count("VGG11BN", 3, 32, 10));
        // VGG11 on 1 channel: first conv 1·64·9+64 = 640.
        Assert.Equal(vgg - 1_792 + 640, Count("VGG11", 1, 28, 10));
        // ConvNetLN, 3×32×32: LayerNorm γ, β over 128×32×32, 128×16×16, 128×8×8.
        Assert.Equal(3_584 + 2 * 147_584 + 2 * 128 * (32 * 32 + 16 * 16 + 8 * 8) + 20_490, Count("ConvNetLN", 3, 32, 10));
        // ConvNetNP, 3×32×32: no pooling, fc 128·32·32·10+10 = 1,310,730.
        Assert.Equal(3_584 + 2 * 147_584 + 3 * 256 + 1_310_730, Count("ConvNetNP", 3, 32, 10));
        // ConvNetNN: no norm parameters.
        Assert.Equal(320_010 - 768, Count("ConvNetNN", 3, 32, 10));
        // ResNet18_Tiny at 64×64 with 200 classes: ResNet18 minus its 10-class fc (5,130) plus 512·200+200 = 102,600.
        Assert.Equal(11_173_962 - 5_130 + 102_600, Count("ResNet18BN_Tiny", 3, 64, 200));
        // ResNet18_AP, 3×32×32: the head sees 512·4·4 features, fc 8192·10+10 = 81,930.
        Assert.Equal(11_173_962 - 5_130 + 81_930, Count("ResNet18_AP", 3, 32, 10));
    }

    private static long Count(string name, int c, int hw, int k) => ModelZoo.Create(name, c, k, hw, hw).ParameterCount;

    [Fact]
    public void LayoutFollowsPyTorchParametersOrder()
    {
        var net = ModelZoo.Create("ConvNet", 3, 10, 32, 32);
        Assert.Equal(new[]
        {
            "features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
            "features.4.weight", "features.4.bias", "features.5.weight", "features.5.bias",
            "features.8.weight", "features.8.bias", "features.9.weight", "features.9.bias",
            "classifier.weight", "classifier.bias",
        }, net.Layout.Select(s => s.Name));
        Assert.Equal(new long[] { 128, 3, 3, 3 }, net.Layout[0].Shape);
        Assert.Equal(new long[] { 10, 2048 }, net.Layout[12].Shape);
        long offset = 0;
        foreach (var slot in net.Layout)
        {
            Assert.Equal(offset, slot.Offset);
            offset += slot.Count;
        }

        var resnet = ModelZoo.Create("ResNet18BN", 3, 10, 32, 32);
        var names = resnet.Layout.Select(s => s.Name).ToList();
        Assert.Equal("conv1.weight", names[0]);
        Assert.Equal("layer2.0.shortcut.1.bias", names[names.IndexOf("layer2.0.shortcut.0.weight") + 2]);
        Assert.Equal("classifier.bias", names[^1]);
        Assert.Equal(20, ((SequentialNetwork)resnet).BatchNormChannels.Count); // 1 stem + 16 in blocks + 3 shortcuts
    }

    [Theory]
    [InlineData(1, 28)]
    [InlineData(3, 32)]
    public void ForwardAndEmbedShapes(int channels, int size)
    {
        string[] names = ["ConvNet", "ConvNetBN", "ConvNetD1", "ConvNetW32", "ConvNetLN", "ConvNetGN", "ConvNetNN", "ConvNetAS", "ConvNetAL",
                          "ConvNetMP", "ConvNetNP", "MLP", "LeNet", "AlexNet", "VGG11", "VGG11BN", "ResNet18", "ResNet18BN", "ResNet18BN_AP"];
        Tensors.ManualSeed(0);
        foreach (var name in names)
        {
            using var scope = new TensorScope();
            var net = ModelZoo.Create(name, channels, 7, size, size);
            var p = net.InitParameters();
            using var state = net.CreateState();
            var x = Tensors.Randn([2, channels, size, size]);
            var logits = net.Forward(x, p, state, training: true);
            Assert.Equal(new long[] { 2, 7 }, logits.Shape);
            var eval = net.Forward(x, p, state, training: false);
            Assert.Equal(new long[] { 2, 7 }, eval.Shape);
            Assert.True(eval.IsFinite().LogicalNot().Sum().ItemLong() == 0, $"{name} gives non-finite logits");
            var e = net.Embed(x, p, state, training: false);
            Assert.Equal(2, e.Size(0));
            Assert.Equal(net.EmbeddingSize, e.Size(1));
        }
    }

    [Fact]
    public void EmbeddingSizes()
    {
        Assert.Equal(2048, ModelZoo.Create("ConvNet", 1, 10, 28, 28).EmbeddingSize);
        Assert.Equal(2048, ModelZoo.Create("ConvNetD4", 3, 200, 64, 64).EmbeddingSize);
        Assert.Equal(512, ModelZoo.Create("ResNet18BN_Tiny", 3, 200, 64, 64).EmbeddingSize);
        Assert.Equal(512, ModelZoo.Create("ResNet18", 1, 10, 28, 28).EmbeddingSize);
        Assert.Equal(128, ModelZoo.Create("MLP", 1, 10, 28, 28).EmbeddingSize);
        Assert.Equal(84, ModelZoo.Create("LeNet", 3, 10, 32, 32).EmbeddingSize);
    }

    [Fact]
    public void TinyResNetHalvesInStem()
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(1);
        var net = ModelZoo.Create("ResNet18_Tiny", 3, 5, 64, 64);
        var logits = net.Forward(Tensors.Randn([1, 3, 64, 64]), net.InitParameters(), null, training: true);
        Assert.Equal(new long[] { 1, 5 }, logits.Shape);
    }

    [Fact]
    public void NamesAreCaseInsensitiveAndUnknownNamesAreListed()
    {
        Assert.Equal("ConvNetBN", ModelZoo.Create("convnetbn", 3, 10, 32, 32).Name);
        var ex = Assert.Throws<ArgumentException>(() => ModelZoo.Create("ConvNetXL", 3, 10, 32, 32));
        Assert.Contains("ConvNetXL", ex.Message);
        Assert.Contains("ResNet18BN", ex.Message);
        Assert.Contains("ConvNetD4BN", ex.Message);
        foreach (var name in new[] { "ConvNetD8", "ConvNetW1024", "ConvNetKIP", "ConvNetIN", "ConvNetAR", "ConvNetAP", "ResNet18_Tiny" })
            Assert.Contains(name, ModelZoo.Names);
    }

    [Fact]
    public void ConvNetOverridesAndOptions()
    {
        var custom = ModelZoo.Create("ConvNetBN(width=32, depth=2)", 3, 10, 32, 32);
        Assert.True(custom.HasBatchNorm);
        // conv 3·32·9+32 = 896; bn 64; conv 32·32·9+32 = 9,248; bn 64; fc 32·8·8·10+10 = 20,490.
        Assert.Equal(896 + 64 + 9_248 + 64 + 20_490, custom.ParameterCount);
        var same = ConvNet.Create(new ConvNetOptions(3, 10, 32, 32) { Width = 32, Depth = 2, Norm = NormKind.BatchNorm });
        Assert.Equal(custom.ParameterCount, same.ParameterCount);
        Assert.Throws<ArgumentException>(() => ModelZoo.Create("ConvNet(colour=red)", 3, 10, 32, 32));
        Assert.Throws<ArgumentException>(() => ModelZoo.Create("ConvNet(width=-3)", 3, 10, 32, 32));
        Assert.Throws<ArgumentException>(() => ModelZoo.Create("ResNet18(width=3)", 3, 10, 32, 32));
    }

    [Fact]
    public void TooSmallInputsAndWrongShapesAreRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => ModelZoo.Create("ConvNetD8", 3, 10, 32, 32));
        Assert.Contains("too small", ex.Message);
        using var scope = new TensorScope();
        var net = ModelZoo.Create("ConvNetW32", 3, 10, 32, 32);
        var p = net.InitParameters();
        Assert.Throws<ArgumentException>(() => net.Forward(Tensors.Zeros([2, 1, 28, 28]), p, null, true));
        Assert.Throws<ArgumentException>(() => net.Forward(Tensors.Zeros([2, 3, 32, 32]), p.Narrow(0, 0, 10), null, true));
    }
}
