using System.Diagnostics;
using DDist.Torch;

namespace DDist.Diagnostics;

/// <summary>Checks the engine on a device against the CPU: every case of <see cref="SelfTestCase.Ops"/> and the
/// trajectory-matching gradient (<see cref="MatchingGradientCase"/>) is computed in float64 on the CPU (the
/// reference), in float32 on the CPU, and in float32 on the device; values, first-order gradients and
/// Hessian-vector products are compared. Then exact unrolling with DSA is checked against full unrolling on the device
/// itself (<see cref="UnrollReplayCheck"/>), and in deterministic mode that a gradient repeats bit for bit
/// (<see cref="RepeatabilityCheck"/>). On a CUDA device the float32 results must equal the CPU's within float32
/// tolerance (TF32 is switched off for the test: it rounds convolution inputs to 10-bit mantissas), where float32
/// tolerance is the larger of a fixed relative one and a few times the CPU's own float32 error for the same computation
/// (an unrolled matching gradient of a wide network is ill-conditioned enough for float32 to be off by percents on any
/// engine); the device's float64 results must equal the CPU's float64 ones closely, which is the sharp check. On the
/// CPU the float32-against-float64 comparisons with the fixed tolerances are the check.</summary>
public static class DeviceSelfTest
{
    /// <summary>Relative tolerances per derivative order (value, gradient, Hessian-vector product): float32
    /// carries about 7 digits and every order compounds the rounding of the one before.</summary>
    private static readonly double[] SameDTypeTolerance = [2e-5, 1e-4, 5e-4];
    private static readonly double[] Float64Tolerance = [1e-4, 3e-4, 2e-3];
    /// <summary>Float64 on the device against float64 on the CPU: only the order of summation differs.</summary>
    private static readonly double[] BothFloat64Tolerance = [1e-9, 1e-8, 1e-7];
    /// <summary>How much farther from the float64 reference the device's float32 result may be than the CPU's own
    /// float32 result (see <see cref="DeviceFloat32Tolerance"/>).</summary>
    internal const double Float32Slack = 10;

    /// <param name="compareAsDevice">For the tests: compare the CPU with itself as a device is compared with the CPU.</param>
    public static SelfTestReport Run(Device device, IEnumerable<SelfTestCase> cases, ulong seed = 0, Action<SelfTestCheck>? onCheck = null,
                                     bool compareAsDevice = false)
    {
        var clock = Stopwatch.StartNew();
        var checks = new List<SelfTestCheck>();
        (bool, bool)? tf32 = null;
        try
        {
            tf32 = Tensors.AllowTF32;
            Tensors.AllowTF32 = (false, false);
        }
        catch (TorchException e)
        {
            // Reported, not fatal: the comparisons still run (convolutions may then miss float32 tolerance).
            checks.Add(new SelfTestCheck("switch TF32 off", "setup", double.NaN, 0, 0, e.Message));
        }
        try
        {
            bool asDevice = compareAsDevice || device != Device.Cpu;
            var repeat = Tensors.Deterministic ? RepeatabilityCheck.Run(device) : [];
            foreach (var check in cases.SelectMany(c => RunCase(c, device, seed, asDevice)).Concat(UnrollReplayCheck.Run(device)).Concat(repeat))
            {
                checks.Add(check);
                onCheck?.Invoke(check);
            }
        }
        finally { if (tf32 is { } previous) Tensors.AllowTF32 = previous; }
        return new SelfTestReport(device.ToString(), Tensors.Version, checks, clock.Elapsed.TotalSeconds);
    }

    private static IEnumerable<SelfTestCheck> RunCase(SelfTestCase c, Device device, ulong seed, bool asDevice)
    {
        Outcome reference, cpu32, onDevice;
        Outcome? device64 = null;
        try
        {
            using var scope = new TensorScope();
            var inputs = DrawInputs(c, seed);
            reference = Evaluate(c, inputs, DType.Float64, Device.Cpu);
            cpu32 = Evaluate(c, inputs, DType.Float32, Device.Cpu);
            onDevice = asDevice ? Evaluate(c, inputs, DType.Float32, device) : cpu32;
            if (asDevice) device64 = Evaluate(c, inputs, DType.Float64, device);
        }
        catch (Exception e) when (e is TorchException or InvalidOperationException or ArgumentException)
        {
            return [new SelfTestCheck(c.Name, "run", double.NaN, 0, 0, e.Message)];
        }
        var result = new List<SelfTestCheck>();
        var names = QuantityNames(c);
        for (int q = 0; q < names.Count; q++)
        {
            int order = names[q].Order;
            string name = $"{c.Name}: {names[q].Label}";
            if (!asDevice)
            {
                result.Add(Compare(name, "cpu float64", onDevice.Values[q], reference.Values[q], c.ToleranceScale * Float64Tolerance[order]));
                continue;
            }
            // Float32 rounding, amplified by the computation's conditioning (ten unrolled steps of a width-128 network
            // amplify it to percent level), bounds how closely two float32 engines can agree; the CPU's own float32
            // error against float64 measures that bound for this very computation.
            double cpuError = MaxAbsDiff(cpu32.Values[q], reference.Values[q]);
            result.Add(Compare(name, "cpu float32", onDevice.Values[q], cpu32.Values[q],
                               c.ToleranceScale * SameDTypeTolerance[order], floor: DeviceFloat32Tolerance(cpuError) + cpuError));
            result.Add(Compare(name, "cpu float64", onDevice.Values[q], reference.Values[q],
                               c.ToleranceScale * Float64Tolerance[order], floor: DeviceFloat32Tolerance(cpuError)));
            result.Add(Compare(name + " (float64 on the device)", "cpu float64", device64!.Values[q], reference.Values[q],
                               c.ToleranceScale * BothFloat64Tolerance[order]));
        }
        return result;
    }

    /// <summary>Inputs drawn once, in float64 on the CPU, so every precision and device sees the same numbers;
    /// the last two are the fixed output weights R (the scalar is Σ R·f) and the direction v of ⟨∇f, v⟩.</summary>
    private static Tensor[] DrawInputs(SelfTestCase c, ulong seed)
    {
        Tensors.ManualSeed(seed);
        return c.Inputs.Select(i => i.ClassIndices is int k
                ? Tensors.RandInt(0, k, i.Shape)
                : Tensors.Randn(i.Shape, DType.Float64)).ToArray();
    }

    private sealed record Outcome(IReadOnlyList<double[]> Values);

    private static Outcome Evaluate(SelfTestCase c, Tensor[] drawn, DType dtype, Device device)
    {
        using var scope = new TensorScope();
        var inputs = drawn.Select((t, i) => c.Inputs[i].ClassIndices is null
            ? (c.Inputs[i].Differentiable ? t.To(dtype, device).Detach().RequiresGrad_() : t.To(dtype, device))
            : t.To(device)).ToArray();
        var wrt = inputs.Where((_, i) => c.Inputs[i].Differentiable && c.Inputs[i].ClassIndices is null).ToArray();
        var y = c.Forward(inputs);
        Tensors.ManualSeed(12345);
        var weights = Tensors.Randn(y.Shape, DType.Float64).To(dtype, device);
        var loss = (y * weights).Sum();
        var values = new List<double[]> { Host(y) };
        var grads = Autograd.Grad([loss], wrt, createGraph: c.SecondOrder);
        values.AddRange(grads.Select((g, i) => g is null ? new double[wrt[i].NumEl] : Host(g)));
        if (c.SecondOrder)
        {
            // ⟨∇f, v⟩ with a fixed direction v per input, differentiated again.
            Tensor? inner = null;
            for (int i = 0; i < wrt.Length; i++)
            {
                Tensors.ManualSeed(777 + (ulong)i);
                var v = Tensors.Randn(wrt[i].Shape, DType.Float64).To(dtype, device);
                var term = (grads[i]! * v).Sum();
                inner = inner is null ? term : inner + term;
            }
            // A linear op's gradient does not depend on its input (average pooling through its fused kernel): the
            // Hessian is zero and the first gradient carries no graph to differentiate.
            var hvp = inner!.RequiresGrad ? Autograd.Grad([inner!], wrt, allowUnused: true) : new Tensor?[wrt.Length];
            values.AddRange(hvp.Select((h, i) => h is null ? new double[wrt[i].NumEl] : Host(h)));
        }
        return new Outcome(values);
    }

    private static List<(string Label, int Order)> QuantityNames(SelfTestCase c)
    {
        var diff = c.Inputs.Select((inp, i) => (inp, i)).Where(p => p.inp.Differentiable && p.inp.ClassIndices is null).Select(p => p.i).ToList();
        var names = new List<(string, int)> { ("value", 0) };
        names.AddRange(diff.Select(i => ($"d/d input {i}", 1)));
        if (c.SecondOrder) names.AddRange(diff.Select(i => ($"Hessian-vector, input {i}", 2)));
        return names;
    }

    private static double[] Host(Tensor t) => t.Detach().To(DType.Float64, Device.Cpu).Contiguous().Reshape([-1]).ToArray<double>();

    /// <summary>The absolute distance from the float64 reference a device's float32 result may have when the CPU's own
    /// float32 result lies <paramref name="cpuFloat32Error"/> from it: up to ten times as far (another summation order,
    /// other convolution algorithms), while a wrong op is off by the size of the value itself.</summary>
    internal static double DeviceFloat32Tolerance(double cpuFloat32Error) => Float32Slack * cpuFloat32Error;

    /// <summary>The largest |a − b| over the elements; NaN when either side holds a NaN (Math.Max propagates it).</summary>
    private static double MaxAbsDiff(double[] a, double[] b)
    {
        double d = 0;
        for (int i = 0; i < Math.Min(a.Length, b.Length); i++) d = Math.Max(d, Math.Abs(a[i] - b[i]));
        return d;
    }

    /// <param name="floor">An absolute tolerance the relative one may not go below (float32 error measured on the CPU).</param>
    private static SelfTestCheck Compare(string name, string against, double[] actual, double[] expected, double rtol, double floor = 0)
    {
        if (actual.Length != expected.Length)
            return new SelfTestCheck(name, against, double.NaN, 0, 0, $"{actual.Length} elements against {expected.Length}");
        double scale = expected.Length == 0 ? 0 : expected.Max(Math.Abs);
        double diff = MaxAbsDiff(actual, expected);
        // A tiny absolute floor for quantities that are exactly zero (Hessian-vector products of piecewise-linear ops).
        double tolerance = Math.Max(rtol * scale, floor) + 1e-9;
        return new SelfTestCheck(name, against, diff, scale, tolerance);
    }
}
