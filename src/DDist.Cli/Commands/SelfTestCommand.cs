using System.CommandLine;
using System.Globalization;
using DDist.Diagnostics;
using DDist.Torch;

namespace DDist.Cli.Commands;

/// <summary>`ddist selftest [--device cuda]`: the engine's ops, their first- and second-order gradients and one
/// trajectory-matching gradient, computed on the device and compared with the CPU (float32 and float64), and exact
/// unrolling with DSA against full unrolling on the device (the generators' replay).
/// Exits 1 when a comparison fails, so scripts can gate on it.</summary>
public static class SelfTestCommand
{
    public const int Failed = 1;

    public static Command Create(GlobalOptions globals)
    {
        var ipc = new Option<int>("--matching-ipc") { Description = "Synthetic images per class in the matching-gradient check", DefaultValueFactory = _ => 2 };
        var steps = new Option<int>("--syn-steps") { Description = "Unrolled student steps in the matching-gradient check", DefaultValueFactory = _ => 4 };
        var width = new Option<int>("--width") { Description = "ConvNet width of the matching-gradient check", DefaultValueFactory = _ => 16 };
        var depth = new Option<int>("--depth") { Description = "ConvNet depth of the matching-gradient check", DefaultValueFactory = _ => 2 };
        var size = new Option<int>("--image-size") { Description = "Image side of the matching-gradient check (1 channel, 10 classes)", DefaultValueFactory = _ => 16 };
        var skipOps = new Option<bool>("--matching-only") { Description = "Run only the matching-gradient check" };
        var cmd = new Command("selftest", "Check the engine on --device against the CPU: ops, first/second-order gradients, " +
                                          "one trajectory-matching gradient (exit 1 if any comparison fails)")
            { ipc, steps, width, depth, size, skipOps };
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var matching = new MatchingGradientCase(parse.GetValue(ipc), parse.GetValue(steps), parse.GetValue(width), parse.GetValue(depth),
                                                    ImageSize: parse.GetValue(size));
            if (matching.ImagesPerClass < 1 || matching.SynSteps < 1 || matching.Width < 1 || matching.Depth < 1 || matching.ImageSize < 4)
                throw new CliException("selftest: --matching-ipc, --syn-steps, --width and --depth must be at least 1, --image-size at least 4");
            var cases = (parse.GetValue(skipOps) ? [] : SelfTestCase.Ops()).Append(matching.Build());
            ctx.Note($"selftest on {ctx.Device} (libtorch {Tensors.Version}{(ctx.Device.Type == DeviceType.Cuda ? ", TF32 off" : "")}; " +
                     $"fused CPU kernels {Tensors.FastKernelIsa}; malloc {AllocatorTuning.State})");
            var report = DeviceSelfTest.Run(ctx.Device, cases, ctx.Seed, c => { if (!c.Passed) ctx.Note("FAILED " + Describe(c)); });
            CudaMemoryStats? memory = null;
            try { if (ctx.Device.Type == DeviceType.Cuda) memory = Tensors.CudaMemory(ctx.Device.Index); }
            catch (TorchException e) { ctx.Note($"peak GPU memory unavailable: {e.Message}"); }
            ctx.WriteResult(new
            {
                device = report.Device, torch = report.TorchVersion, cpuKernels = Tensors.FastKernelIsa.ToString(), passed = report.Passed, checks = report.Checks.Count,
                failed = report.FailedCount, seconds = report.Seconds, peakCudaBytes = memory?.PeakAllocatedBytes,
                results = report.Checks.Select(c => new { name = c.Name, against = c.Against, maxAbsDiff = c.MaxAbsDiff, scale = c.Scale, tolerance = c.Tolerance, passed = c.Passed, error = c.Error }),
            }, o =>
            {
                foreach (var c in report.Checks) o.WriteLine((c.Passed ? "  ok   " : "  FAIL ") + Describe(c));
                o.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0}: {1} of {2} checks passed on {3} in {4:F1} s",
                                          report.Passed ? "passed" : "FAILED", report.Checks.Count - report.FailedCount, report.Checks.Count, report.Device, report.Seconds));
            });
            return report.Passed ? ExitCodes.Ok : Failed;
        });
        return cmd;
    }

    private static string Describe(SelfTestCheck c) => c.Error is not null
        ? $"{c.Name}: {c.Error}"
        : string.Format(CultureInfo.InvariantCulture, "{0} vs {1}: max |diff| {2:G3} (tolerance {3:G3}, scale {4:G3})", c.Name, c.Against, c.MaxAbsDiff, c.Tolerance, c.Scale);
}
