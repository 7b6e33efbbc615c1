using System.Text.Json;
using DDist.Diagnostics;
using DDist.Tests.Cli;
using DDist.Torch;
using Xunit.Abstractions;

namespace DDist.Tests.Diagnostics;

/// <summary>The device self-test (`ddist selftest`). On a CPU-only machine the device is the CPU, so what is checked
/// is the float32-against-float64 comparison and that a wrong or failing computation is caught and reported.
/// Serial: the self-test seeds libtorch's generator and switches TF32.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class DeviceSelfTestTests(ITestOutputHelper output)
{
    [Fact]
    public void EveryOpAndTheMatchingGradientAgreeWithFloat64OnTheCpu()
    {
        var cases = SelfTestCase.Ops().Append(new MatchingGradientCase().Build()).ToList();
        var report = DeviceSelfTest.Run(Device.Cpu, cases);
        var failed = report.Checks.Where(c => !c.Passed).Select(c => $"{c.Name}: {c.Error ?? c.MaxAbsDiff.ToString("G3")}").ToList();
        Assert.True(report.Passed, string.Join("\n", failed));
        // value + gradients (+ Hessian-vector products) per case: far more checks than cases.
        Assert.True(report.Checks.Count > 3 * cases.Count, $"{report.Checks.Count} checks");
        Assert.Contains(report.Checks, c => c.Name.StartsWith("conv2d: Hessian-vector", StringComparison.Ordinal));
        Assert.Contains(report.Checks, c => c.Name.StartsWith("matching iteration", StringComparison.Ordinal) && c.Name.Contains("d/d input 1"));
        Assert.Equal(2, report.Checks.Count(c => c.Name.StartsWith("exact unrolling replays DSA on cpu", StringComparison.Ordinal)));
    }

    [Fact]
    public void TheReplayCheckWouldCatchAReplayThatMissedAGenerator()
    {
        // The check replaying properly passes; the same problem whose reverse walk augments with a generator moved on
        // (not put back) differs from full unrolling far beyond the check's tolerance.
        Assert.All(UnrollReplayCheck.Run(Device.Cpu), c => Assert.True(c.Passed, $"{c.Name}: {c.Error ?? c.MaxAbsDiff.ToString("G3")}"));
        using var full = UnrollReplayCheck.Gradient(Device.Cpu, DDist.Distillation.Unrolling.UnrollMode.Full, 4);
        using var skewed = UnrollReplayCheck.Gradient(Device.Cpu, DDist.Distillation.Unrolling.UnrollMode.Exact, 4, skewReplay: true);
        using var scope = new TensorScope();
        double relative = (skewed.Images - full.Images).Abs().Max().Item() / full.Images.Abs().Max().Item();
        Assert.True(relative > 1e-3, $"a skewed replay changed the image gradient by only {relative:G3}");
    }

    [Fact]
    public void AComputationThatDiffersInFloat32IsCaught()
    {
        // f(x) = x·x + 1e-2·[float32]: the value is off by 1e-2 in float32 only, far beyond float32 rounding.
        var wrong = new SelfTestCase("float32 offset", [new([8])],
            t => t[0].Square() + (t[0].DType == DType.Float32 ? 1e-2 : 0.0));
        var report = DeviceSelfTest.Run(Device.Cpu, [wrong]);
        var value = Assert.Single(report.Checks, c => c.Name == "float32 offset: value");
        Assert.False(value.Passed);
        Assert.InRange(value.MaxAbsDiff, 0.9e-2, 1.1e-2);
        Assert.Null(value.Error);
        Assert.All(report.Checks.Where(c => c.Name != value.Name), c => Assert.True(c.Passed, c.Name));   // its gradients are right
        Assert.False(report.Passed);
    }

    [Fact]
    public void AsADeviceFloat32MayBeAsFarOffAsTheCpusOwnButFloat64MustAgree()
    {
        // An ill-conditioned matching gradient (width 64, 10 unrolled steps): the CPU's float32 image gradient misses
        // the fixed float32-against-float64 tolerance, so a device agreeing with the CPU would fail that rule; compared
        // as a device is, float32 is held to the CPU's own error and float64 must agree closely.
        var hard = new MatchingGradientCase(ImagesPerClass: 2, SynSteps: 10, Width: 64, Depth: 3, ImageSize: 28).Build();
        var onCpu = DeviceSelfTest.Run(Device.Cpu, [hard]);
        output.WriteLine(string.Join("\n", onCpu.Checks.Select(c => $"cpu rule: {c.Name} {c.MaxAbsDiff:G3} / {c.Tolerance:G3}")));
        var asDevice = DeviceSelfTest.Run(Device.Cpu, [hard], compareAsDevice: true);
        output.WriteLine(string.Join("\n", asDevice.Checks.Select(c => $"device rule: {c.Name} vs {c.Against} {c.MaxAbsDiff:G3} / {c.Tolerance:G3}")));
        Assert.False(onCpu.Checks.Where(c => c.Name.StartsWith("matching", StringComparison.Ordinal)).All(c => c.Passed));
        Assert.True(asDevice.Passed, string.Join("; ", asDevice.Checks.Where(c => !c.Passed).Select(c => c.Name)));
        Assert.Contains(asDevice.Checks, c => c.Name.EndsWith("(float64 on the device)", StringComparison.Ordinal));
    }

    [Fact]
    public void ADeviceWhoseFloat32IsWorseThanTheCpusIsCaught()
    {
        // The second float32 evaluation stands for the device: it is off by 1e-2, far beyond the CPU's own float32
        // error; the float64 evaluations (CPU reference and device) are exact.
        int float32Calls = 0;
        var skewed = new SelfTestCase("skewed device", [new([8])],
            t => t[0].Square() + (t[0].DType == DType.Float32 && ++float32Calls == 2 ? 1e-2 : 0.0));
        var report = DeviceSelfTest.Run(Device.Cpu, [skewed], compareAsDevice: true);
        Assert.False(Assert.Single(report.Checks, c => c.Name == "skewed device: value" && c.Against == "cpu float32").Passed);
        Assert.False(Assert.Single(report.Checks, c => c.Name == "skewed device: value" && c.Against == "cpu float64").Passed);
        Assert.True(Assert.Single(report.Checks, c => c.Name == "skewed device: value (float64 on the device)").Passed);
    }

    [Fact]
    public void AFailingComputationIsReportedNotThrown()
    {
        var broken = new SelfTestCase("shape mismatch", [new([2, 3]), new([4, 5])], t => t[0].MatMul(t[1]));
        var report = DeviceSelfTest.Run(Device.Cpu, [broken, SelfTestCase.Ops()[0]]);
        var failure = Assert.Single(report.Checks, c => c.Name == "shape mismatch");
        Assert.False(failure.Passed);
        Assert.False(string.IsNullOrEmpty(failure.Error));
        Assert.Contains(report.Checks, c => c.Name.StartsWith("conv2d", StringComparison.Ordinal) && c.Passed);   // the run went on
    }

    [Fact]
    public void Tf32SettingIsRestoredAfterTheRun()
    {
        var before = Tensors.AllowTF32;
        try
        {
            Tensors.AllowTF32 = (true, true);
            DeviceSelfTest.Run(Device.Cpu, [SelfTestCase.Ops()[2]]);
            Assert.Equal((true, true), Tensors.AllowTF32);
        }
        finally { Tensors.AllowTF32 = before; }
    }

    [Fact]
    public void CliPrintsJsonAndExitsZeroWhenEverythingPasses()
    {
        var (code, output, error) = CliRun.Run("selftest", "--matching-only", "--syn-steps", "2", "--json");
        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        Assert.True(doc.RootElement.GetProperty("passed").GetBoolean());
        Assert.Equal("cpu", doc.RootElement.GetProperty("device").GetString());
        // value, d/d images, d/d step size; then the replay check's d/d images and d/d step size
        Assert.Equal(5, doc.RootElement.GetProperty("checks").GetInt32());
    }

    [Fact]
    public void InDeterministicModeTheSelfTestChecksThatAGradientRepeatsBitForBit()
    {
        static int Repeats(SelfTestReport r) => r.Checks.Count(c => c.Name.StartsWith("deterministic mode repeats", StringComparison.Ordinal));
        Assert.Equal(0, Repeats(DeviceSelfTest.Run(Device.Cpu, [SelfTestCase.Ops()[2]])));
        try
        {
            Tensors.Deterministic = true;
            var report = DeviceSelfTest.Run(Device.Cpu, [SelfTestCase.Ops()[2]]);
            Assert.Equal(4, Repeats(report));   // images and step size, without DSA and with it
            Assert.True(report.Passed, string.Join("\n", report.Checks.Where(c => !c.Passed).Select(c => $"{c.Name}: {c.Error ?? c.MaxAbsDiff.ToString("G3")}")));

            var (code, json, error) = CliRun.Run("selftest", "--matching-only", "--syn-steps", "2", "--deterministic", "--json");
            Assert.True(code == 0, error);
            using var doc = JsonDocument.Parse(json);
            Assert.Equal(9, doc.RootElement.GetProperty("checks").GetInt32());   // the 5 of the plain run and the 4 repeats
        }
        finally { Tensors.Deterministic = false; }
    }

    [Fact]
    public void TheRepeatCheckCatchesOneBitOfDifference()
    {
        using var first = Tensors.FromArray(new float[] { 1f, -2f, 0f });
        using var same = Tensors.FromArray(new float[] { 1f, -2f, 0f });
        using var ulp = Tensors.FromArray(new float[] { 1f, MathF.BitIncrement(-2f), 0f });
        using var negativeZero = Tensors.FromArray(new float[] { 1f, -2f, -0f });
        Assert.True(RepeatabilityCheck.Compare("same", same, first).Passed);
        var off = RepeatabilityCheck.Compare("one ulp", ulp, first);
        Assert.False(off.Passed);
        Assert.True(off.MaxAbsDiff > 0);
        var zero = RepeatabilityCheck.Compare("signed zero", negativeZero, first);
        Assert.False(zero.Passed);
        Assert.Contains("1 of 3 elements differ in their bits", zero.Error);
    }

    [Fact]
    public void CliRejectsACudaDeviceThisLibtorchDoesNotHave()
    {
        if (Tensors.IsCudaAvailable) return;   // on a GPU machine --device cuda is valid
        var (code, _, error) = CliRun.Run("selftest", "--device", "cuda");
        Assert.Equal(2, code);
        Assert.Contains("CUDA device not available", error);
    }
}
