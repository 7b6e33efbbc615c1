using DDist.Distillation;
using DDist.Models;
using DDist.Tests.Training;
using DDist.Torch;

namespace DDist.Tests.Distillation;

/// <summary>Whole DC, DSA and DM runs on toy blobs with a BatchNorm network (the frozen-statistics path of DC and
/// the mixed-class batch statistics of DM): the images move, the result is complete and reproducible, and no
/// native tensor outlives the run.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class FamilyRunTests
{
    private static INetwork Net() => ModelZoo.Create("ConvNetBN(width=4,depth=1)", 1, 3, 6, 6);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GradientMatchingMovesEveryImageAndFreesItsTensors(bool dsa)
    {
        using var data = SyntheticData.Blobs(60, 3, seed: 5);
        using var pool = new ClassImagePool(data);
        var o = new GradientMatchingOptions
        {
            Method = dsa ? "dsa" : "dc", Ipc = 2, Iterations = 2, OuterLoop = 2, InnerLoop = 1, BatchReal = 8, BnImagesPerClass = 4,
            Start = SyntheticStart.Real, Dsa = dsa, Seed = 9,
        };
        long live = LiveTensors.Settled();
        var r = new GradientMatching(Net(), pool).Run(o);
        using (r.Set)
        using (new TensorScope())
        {
            Assert.Equal(6, r.Set.Count);
            Assert.Equal(6, r.Set.DistilledCount);
            Assert.Equal(2, r.Curve.Count);
            Assert.All(r.Curve, p => Assert.True(double.IsFinite(p.Loss) && p.Loss > 0));
            Assert.Equal([0L, 0, 1, 1, 2, 2], r.Set.Labels.ToArray<long>());
            using var start = data.Images.IndexSelect(0, Tensors.FromArray(r.Set.SourceIndex));
            using var moved = (r.Set.Images - start).Abs().Sum([1, 2, 3]);
            Assert.All(moved.ToArray<float>(), m => Assert.True(m > 0, "an image did not move"));
            // The same seed gives the same set.
            using var again = new GradientMatching(Net(), pool).Run(o).Set;
            using var diff = (again.Images - r.Set.Images).Abs().Max();
            Assert.Equal(0, diff.Item());
        }
        Assert.Equal(live, Tensor.LiveCount);
    }

    [Fact]
    public void DistributionMatchingMovesEveryImageAndFreesItsTensors()
    {
        using var data = SyntheticData.Blobs(60, 3, seed: 6);
        using var pool = new ClassImagePool(data);
        var o = new DistributionMatchingOptions { Ipc = 2, Iterations = 3, BatchReal = 8, Seed = 4 };
        long live = LiveTensors.Settled();
        var r = new DistributionMatching(Net(), pool).Run(o);
        using (r.Set)
        using (new TensorScope())
        {
            Assert.Equal(3, r.Curve.Count);
            Assert.All(r.Curve, p => Assert.True(double.IsFinite(p.Loss) && p.Loss > 0));
            using var start = data.Images.IndexSelect(0, Tensors.FromArray(r.Set.SourceIndex));
            using var moved = (r.Set.Images - start).Abs().Sum([1, 2, 3]);
            Assert.All(moved.ToArray<float>(), m => Assert.True(m > 0, "an image did not move"));
        }
        Assert.Equal(live, Tensor.LiveCount);
    }

    [Fact]
    public void RealStartNeedsIpcImagesInEveryClassAndSaysSoBeforeWork()
    {
        using var data = SyntheticData.Blobs(9, 3, seed: 7);
        using var pool = new ClassImagePool(data);
        var e = Assert.Throws<ArgumentException>(() => new DistributionMatching(Net(), pool).Run(new DistributionMatchingOptions { Ipc = 4, Iterations = 1 }));
        Assert.Contains("fewer than IPC 4", e.Message);
    }
}

/// <summary>The DC matching loss (a function of gradients, so second order) and the DM loss against central finite
/// differences in float64, with respect to the synthetic images.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class FamilyFiniteDifferenceTests
{
    [Theory]
    [InlineData("ConvNet(width=3,depth=1)", "ours")]
    [InlineData("ConvNetBN(width=3,depth=1)", "ours")]
    [InlineData("ConvNet(width=3,depth=1)", "cos")]
    public void GradientMatchingLossGradientMatchesFiniteDifferences(string model, string metric)
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(21);
        var net = ModelZoo.Create(model, 1, 3, 4, 4);
        var theta = net.InitParameters().To(DType.Float64).Detach().RequiresGrad_();
        var real = Tensors.Randn([5, 1, 4, 4], DType.Float64);
        NetState? bn = null;
        if (net.HasBatchNorm)
        {
            bn = new NetState();
            bn.Buffers.Add((Tensors.Randn([3], DType.Float64) * 0.1, Tensors.Rand([3], DType.Float64) + 0.5));
        }
        var d = GradientMatchingDistance.Parse(metric, "metric");
        FiniteDifference.AssertGradientMatches(x => GradientMatching.ClassLoss(net, theta, bn, real, x, 2, d),
                                               Tensors.Randn([2, 1, 4, 4], DType.Float64), samples: 12);
    }

    [Theory]
    [InlineData("ConvNet(width=3,depth=1)")]
    [InlineData("ConvNetBN(width=3,depth=1)")]
    public void DistributionMatchingLossGradientMatchesFiniteDifferences(string model)
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(22);
        var net = ModelZoo.Create(model, 1, 2, 4, 4);
        var theta = net.InitParameters().To(DType.Float64);
        var reals = new[] { Tensors.Randn([4, 1, 4, 4], DType.Float64), Tensors.Randn([3, 1, 4, 4], DType.Float64) };
        FiniteDifference.AssertGradientMatches(x => DistributionMatching.Loss(net, theta, reals, [x.Narrow(0, 0, 2), x.Narrow(0, 2, 2)]),
                                               Tensors.Randn([4, 1, 4, 4], DType.Float64), samples: 12);
    }
}
