using DDist.Data;
using DDist.Torch;

namespace DDist.Tests.Data;

public class NormalizationTests
{
    [RealDataFact("fashion-mnist")]
    public void FashionMnistStatistics_MatchDcConstants()
    {
        var computed = Normalization.FromData(RealMnist.Fashion.Train);
        Assert.Equal(0.2861, computed.Mean[0], 0.0005);
        Assert.Equal(0.3530, computed.Std[0], 0.0005);
    }

    [RealDataFact("mnist")]
    public void MnistStatistics_MatchDcConstants()
    {
        var computed = Normalization.FromData(RealMnist.Mnist.Train);
        Assert.Equal(0.1307, computed.Mean[0], 0.0005);
        Assert.Equal(0.3081, computed.Std[0], 0.0005);
    }

    [RealDataFact("fashion-mnist")]
    public void FromRaw_RealFashionMnistTest_IsNormalisedAcrossChunks()
    {
        var raw = RealMnist.Fashion.Test; // 10000 images: converted in three chunks
        using var data = ImageDataset.FromRaw(raw, Normalization.FashionMnistDc, Device.Cpu, "fashion-mnist");
        Assert.Equal([10000L, 1, 28, 28], data.Images.Shape);
        var row = data.Images.Select(0, 9000).Flatten().ToArray<float>();
        for (int p = 0; p < 784; p += 97)
            Assert.Equal((raw.Pixels[9000 * 784 + p] / 255f - 0.2861f) / 0.3530f, row[p], 5);
        Assert.Equal(0, data.Images.Mean().Item(), 0.01);
        Assert.Equal(1, data.Images.Std().Item(), 0.01);
    }

    [Fact]
    public void ChannelStatistics_AreExactPerChannel()
    {
        // Two 1×2 images, 2 channels: channel 0 values 0, 255, 255, 255; channel 1 all 51.
        var raw = new RawImageSet([0, 255, 51, 51, 255, 255, 51, 51], [0, 0], 2, 2, 1, 2, ["x"]);
        var (mean, std) = Normalization.ChannelStatistics(raw);
        Assert.Equal(0.75, mean[0], 12);
        Assert.Equal(Math.Sqrt(0.75 * 0.25), std[0], 12);
        Assert.Equal(0.2, mean[1], 12);
        Assert.Equal(0, std[1], 12);
    }

    [Fact]
    public void Defaults_FollowReferenceCode()
    {
        Assert.Same(Normalization.MnistDc, DatasetRegistry.GetSpec("mnist").DefaultNormalization);
        Assert.Same(Normalization.FashionMnistDc, DatasetRegistry.GetSpec("fashion-mnist").DefaultNormalization);
        Assert.Same(Normalization.Cifar10, DatasetRegistry.GetSpec("cifar10").DefaultNormalization);
        var cifar100 = DatasetRegistry.GetSpec("cifar100").DefaultNormalization;
        Assert.Same(Normalization.Cifar100ReferenceCode, cifar100);
        Assert.Equal(Normalization.Cifar10.Mean, cifar100.Mean); // SEL/MTT's copy-paste, kept on purpose
        Assert.Equal("cifar10-constants-for-cifar100", cifar100.Name);
        Assert.Equal([0.4802f, 0.4481f, 0.3975f], DatasetRegistry.GetSpec("tiny-imagenet").DefaultNormalization.Mean);
        Assert.Same(Normalization.Cifar100ReferenceCode, Normalization.Named("cifar100-sel"));
        Assert.Throws<ArgumentException>(() => Normalization.Named("nope"));
    }

    [Fact]
    public void FromRaw_AppliesScaleMeanAndStd()
    {
        var raw = new RawImageSet([0, 255, 51, 102], [1], 1, 2, 1, 2, ["a", "b"]);
        var norm = new Normalization("test", [0.5f, 0.2f], [0.5f, 0.1f]);
        using var data = ImageDataset.FromRaw(raw, norm, Device.Cpu, "t");
        Assert.Equal([1L, 2, 1, 2], data.Images.Shape);
        var values = data.Images.ToArray<float>();
        Assert.Equal([-1f, 1f, 0f, 2f], values.Select(v => MathF.Round(v, 5)));
        Assert.Equal([1L], data.Labels.ToArray<long>());
        Assert.Same(norm, data.Normalization);
        Assert.Throws<ArgumentException>(() => ImageDataset.FromRaw(raw, Normalization.MnistDc, Device.Cpu));
    }
}
