namespace DDist.Torch.Tests;

/// <summary>libtorch's global generator, thread count and grad mode as seen through the bindings.
/// Serial: other tests draw from the same generator.</summary>
[Collection(SerialCollection.Name)]
public class GlobalStateTests
{
    [Fact]
    public void ManualSeedMakesSamplingReproducible()
    {
        using var scope = new TensorScope();
        Torch.ManualSeed(123);
        var a = Torch.Randn([16], DType.Float64).ToArray<double>();
        Torch.ManualSeed(123);
        var b = Torch.Randn([16], DType.Float64).ToArray<double>();
        Torch.ManualSeed(124);
        var c = Torch.Randn([16], DType.Float64).ToArray<double>();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void RngStateReplaysTheSameNumbers()
    {
        using var scope = new TensorScope();
        Torch.ManualSeed(5);
        Torch.Rand([7]);   // advance the generator away from a freshly seeded state
        var state = Torch.GetRngState();
        Assert.Equal(DType.UInt8, state.DType);
        var first = Draw();
        var further = Draw();
        Torch.SetRngState(state);
        var replay = Draw();
        Assert.Equal(first, replay);
        Assert.NotEqual(first, further);

        static double[] Draw() =>
        [
            .. Torch.Randn([8], DType.Float64).ToArray<double>(),
            .. Torch.Rand([4], DType.Float64).ToArray<double>(),
            .. Torch.RandInt(0, 1000, [4]).ToArray<long>().Select(v => (double)v),
            .. Torch.RandPerm(6).ToArray<long>().Select(v => (double)v),
            .. Functional.Dropout(Torch.Ones([16], DType.Float64), 0.5, training: true).ToArray<double>(),
        ];
    }

    [Fact]
    public void NumThreadsRoundTrips()
    {
        int original = Torch.NumThreads;
        Assert.True(original >= 1);
        try
        {
            Torch.SetNumThreads(1);
            Assert.Equal(1, Torch.NumThreads);
            Torch.SetNumThreads(2);
            Assert.Equal(2, Torch.NumThreads);
            Assert.Throws<ArgumentOutOfRangeException>(() => Torch.SetNumThreads(0));
        }
        finally
        {
            Torch.SetNumThreads(original);
        }
        Assert.Equal(original, Torch.NumThreads);
    }

    [Fact]
    public void NoGradStopsRecordingAndRestoresTheMode()
    {
        using var scope = new TensorScope();
        var x = Torch.Ones([3]).RequiresGrad_();
        Assert.True(Torch.IsGradEnabled);
        Assert.True(x.Mul(2).HasGradFn);
        Assert.False(x.HasGradFn);   // a leaf
        using (Torch.NoGrad())
        {
            Assert.False(Torch.IsGradEnabled);
            var y = x.Mul(2);
            Assert.False(y.HasGradFn);
            Assert.False(y.RequiresGrad);
            using (Torch.EnableGrad()) Assert.True(x.Mul(2).HasGradFn);
            Assert.False(Torch.IsGradEnabled);
            x.AddInPlace(Torch.Ones([3]), -0.5);   // the optimiser update on a leaf is allowed here
        }
        Assert.True(Torch.IsGradEnabled);
        Assert.Equal(new float[] { 0.5f, 0.5f, 0.5f }, x.ToArray<float>());
        var ex = Assert.Throws<TorchException>(() => x.AddInPlace(Torch.Ones([3])));
        Assert.Contains("leaf Variable that requires grad", ex.Message);
    }
}
