using DDist.Distillation.Unrolling;
using DDist.Torch;

namespace DDist.Diagnostics;

/// <summary>The self-test's check of deterministic mode (<see cref="Tensors.Deterministic"/>, `--deterministic`): one
/// trajectory-matching gradient in float32 (the problem of <see cref="UnrollReplayCheck"/>), computed twice on the device
/// from the same seed, must come out bit for bit the same, without DSA and with it. With DSA the rotate and scale warps
/// run as gathers on CUDA in this mode (<see cref="Functional.GridSample"/>): grid_sample's own CUDA backward
/// accumulates with atomics and has no deterministic kernel in libtorch. Run only in deterministic mode: outside it,
/// cuDNN may pick a different algorithm each time.</summary>
public static class RepeatabilityCheck
{
    public static IReadOnlyList<SelfTestCheck> Run(Device device, int steps = 4) =>
        [.. Repeat(device, steps, dsa: false), .. Repeat(device, steps, dsa: true)];

    private static IReadOnlyList<SelfTestCheck> Repeat(Device device, int steps, bool dsa)
    {
        string name = $"deterministic mode repeats a matching gradient on {device} (ConvNet width 8, 12 images, {steps} steps, float32, {(dsa ? "DSA" : "no DSA")})";
        try
        {
            using var first = UnrollReplayCheck.Gradient(device, UnrollMode.Full, steps, dtype: DType.Float32, dsa: dsa);
            using var second = UnrollReplayCheck.Gradient(device, UnrollMode.Full, steps, dtype: DType.Float32, dsa: dsa);
            return [Compare($"{name}: d/d images", second.Images, first.Images), Compare($"{name}: d/d step size", second.StepSize, first.StepSize)];
        }
        catch (Exception e) when (e is TorchException or InvalidOperationException or ArgumentException or NotSupportedException)
        {
            return [new SelfTestCheck(name, "first run", double.NaN, 0, 0, e.Message)];
        }
    }

    /// <summary>Bit for bit: tolerance 0, and the count of differing elements named when any differ.</summary>
    internal static SelfTestCheck Compare(string name, Tensor second, Tensor first)
    {
        var (a, b) = (first.ToArray<float>(), second.ToArray<float>());
        int differing = a.Zip(b).Count(p => BitConverter.SingleToInt32Bits(p.First) != BitConverter.SingleToInt32Bits(p.Second));
        double diff = a.Zip(b).Select(p => (double)Math.Abs(p.First - p.Second)).DefaultIfEmpty(0).Max();
        double scale = a.Select(v => (double)Math.Abs(v)).DefaultIfEmpty(0).Max();
        // Equal values with other bits (−0 and 0, NaN payloads) fail too, by the message.
        return new SelfTestCheck(name, "first run", differing == 0 ? 0 : diff, scale, 0,
                                 differing > 0 && !(diff > 0) ? $"{differing} of {a.Length} elements differ in their bits" : null);
    }
}
