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
        Tensors.ManualSeed(123);
        var a = Tensors.Randn([16], DType.Float64).ToArray<double>();
        Tensors.ManualSeed(123);
        var b = Tensors.Randn([16], DType.Float64).ToArray<double>();
        Tensors.ManualSeed(124);
        var c = Tensors.Randn([16], DType.Float64).ToArray<double>();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void RngStateReplaysTheSameNumbers()
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(5);
        Tensors.Rand([7]);   // advance the generator away from a freshly seeded state
        var state = Tensors.GetRngState();
        Assert.Equal(DType.UInt8, state.DType);
        var first = Draw();
        var further = Draw();
        Tensors.SetRngState(state);
        var replay = Draw();
        Assert.Equal(first, replay);
        Assert.NotEqual(first, further);

        static double[] Draw() =>
        [
            .. Tensors.Randn([8], DType.Float64).ToArray<double>(),
            .. Tensors.Rand([4], DType.Float64).ToArray<double>(),
            .. Tensors.RandInt(0, 1000, [4]).ToArray<long>().Select(v => (double)v),
            .. Tensors.RandPerm(6).ToArray<long>().Select(v => (double)v),
            .. Functional.Dropout(Tensors.Ones([16], DType.Float64), 0.5, training: true).ToArray<double>(),
        ];
    }

    [Fact]
    public void DeviceRngStateOfTheCpuIsTheCpuGeneratorAndASnapshotReplaysIt()
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(8);
        Assert.Equal(Tensors.GetRngState().ToArray<byte>(), Tensors.GetRngState(Device.Cpu).ToArray<byte>());
        var state = Tensors.GetRngState(Device.Cpu);
        var first = Tensors.Randn([6], DType.Float64).ToArray<double>();
        Tensors.SetRngState(state, Device.Cpu);
        Assert.Equal(first, Tensors.Randn([6], DType.Float64).ToArray<double>());

        using var snapshot = RngSnapshot.Take(Device.Cpu);
        var drawn = Tensors.RandPerm(10).ToArray<long>();
        Assert.NotEqual(drawn, Tensors.RandPerm(10).ToArray<long>());
        snapshot.Restore();
        Assert.Equal(drawn, Tensors.RandPerm(10).ToArray<long>());
    }

    [Fact]
    public void CheckpointsOfCpuRunsKeepOneGeneratorAndRestoreIt()
    {
        // A CPU run stores no device generator (its checkpoints keep their format); a device state found in a
        // checkpoint is ignored when the run is on the CPU, and the CPU generator is restored.
        using var scope = new TensorScope();
        using (var cpuSnapshot = RngSnapshot.Take(Device.Cpu))
        {
            Assert.Null(cpuSnapshot.OnDevice);
            Assert.Equal(["torch_rng"], cpuSnapshot.Entries("torch_rng").Select(e => e.Key));
        }
        Assert.Equal("torch_rng.device", RngSnapshot.DeviceEntry("torch_rng"));
        Tensors.ManualSeed(3);
        var cpu = Tensors.GetRngState();
        var expected = Tensors.Randn([4], DType.Float64).ToArray<double>();
        RngSnapshot.RestoreCheckpoint(cpu, deviceState: Tensors.Zeros([16], DType.UInt8), Device.Cpu);
        Assert.Equal(expected, Tensors.Randn([4], DType.Float64).ToArray<double>());
    }

    [Fact]
    public void GpuRngStateReplaysThereOrIsAClearErrorWithoutOne()
    {
        using var scope = new TensorScope();
        var gpu = Device.Cuda(0);
        if (!Tensors.IsCudaAvailable)
        {
            // A CPU-only libtorch: an error through the usual channel, never a crash; a CPU snapshot is unaffected.
            Assert.Throws<TorchException>(() => Tensors.GetRngState(gpu));
            Assert.Throws<TorchException>(() => RngSnapshot.Take(gpu));
            return;
        }
        using var snapshot = RngSnapshot.Take(gpu);
        var cpu = Tensors.Rand([3], DType.Float64).ToArray<double>();
        var onGpu = Tensors.Randn([5], DType.Float64, gpu).To(Device.Cpu).ToArray<double>();
        snapshot.Restore();
        Assert.Equal(cpu, Tensors.Rand([3], DType.Float64).ToArray<double>());
        Assert.Equal(onGpu, Tensors.Randn([5], DType.Float64, gpu).To(Device.Cpu).ToArray<double>());
    }

    [Fact]
    public void NumThreadsRoundTrips()
    {
        int original = Tensors.NumThreads;
        Assert.True(original >= 1);
        try
        {
            Tensors.SetNumThreads(1);
            Assert.Equal(1, Tensors.NumThreads);
            Tensors.SetNumThreads(2);
            Assert.Equal(2, Tensors.NumThreads);
            Assert.Throws<ArgumentOutOfRangeException>(() => Tensors.SetNumThreads(0));
        }
        finally
        {
            Tensors.SetNumThreads(original);
        }
        Assert.Equal(original, Tensors.NumThreads);
    }

    [Fact]
    public void NoGradStopsRecordingAndRestoresTheMode()
    {
        using var scope = new TensorScope();
        var x = Tensors.Ones([3]).RequiresGrad_();
        Assert.True(Tensors.IsGradEnabled);
        Assert.True(x.Mul(2).HasGradFn);
        Assert.False(x.HasGradFn);   // a leaf
        using (Tensors.NoGrad())
        {
            Assert.False(Tensors.IsGradEnabled);
            var y = x.Mul(2);
            Assert.False(y.HasGradFn);
            Assert.False(y.RequiresGrad);
            using (Tensors.EnableGrad()) Assert.True(x.Mul(2).HasGradFn);
            Assert.False(Tensors.IsGradEnabled);
            x.AddInPlace(Tensors.Ones([3]), -0.5);   // the optimiser update on a leaf is allowed here
        }
        Assert.True(Tensors.IsGradEnabled);
        Assert.Equal(new float[] { 0.5f, 0.5f, 0.5f }, x.ToArray<float>());
        var ex = Assert.Throws<TorchException>(() => x.AddInPlace(Tensors.Ones([3])));
        Assert.Contains("leaf Variable that requires grad", ex.Message);
    }
}
