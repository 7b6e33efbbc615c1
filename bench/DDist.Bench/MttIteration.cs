using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DDist.Distillation.Unrolling;
using DDist.Models;
using DDist.Torch;
using DDist.Torch.IO;
using F = DDist.Torch.Functional;

namespace DDist.Bench;

/// <summary>One MTT outer iteration's gradient (Cazenavette et al. 2022, <c>distill.py</c>: flat parameter vector,
/// N createGraph SGD steps on mini-batches of the synthetic set, L = ‖θ_N − θ*‖² / ‖θ_0 − θ*‖², gradient into the
/// images and the step size), on 1×28×28 inputs with 10 classes, without DSA (so both sides see the same inputs).
/// The inputs (θ_0, θ*, images, labels, every step's batch) are drawn once here on the CPU from the seed and saved to
/// mtt-KEY-inputs.safetensors beside --out (bench/results by default); bench/pytorch/mtt_iteration.py loads the same
/// file and compares its gradients with the ones saved here. Each (configuration, mode) runs in a fresh child process
/// so its peak memory is its own: on the CPU the peak resident memory (VmHWM; the allocator keeps freed memory, so
/// peaks cannot be told apart inside one process), on CUDA the caching allocator's peak (max_memory_allocated).
/// With --device cuda the child moves the inputs to the GPU and each timed iteration ends with a device synchronise.
/// Besides the reference (full unrolling) it measures exact recomputation (time, peak, and peak at N = 10 vs 80)
/// and TESLA's approximation (its error against the exact gradient).</summary>
public sealed class MttIteration : IBenchCase
{
    public sealed record Config(string Key, string Model, int Images, int Steps, int Batch, int Timed);

    /// <summary>ConvNetW32 (instance norm), 300 images; ConvNet and ConvNetBN (width 128), 100 images; N 20, batch 100.</summary>
    public static readonly Config[] Configs =
    [
        new("w32", "ConvNet(width=32)", 300, 20, 100, Timed: 3),
        new("convnet", "ConvNet", 100, 20, 100, Timed: 2),
        new("convnetbn", "ConvNetBN", 100, 20, 100, Timed: 2),
    ];
    /// <summary>The student's step size (MTT's syn_lr, "alpha" in the files the PyTorch side reads).</summary>
    public const double StudentStepSize = 0.01;
    public static string InputsFile(string dir, string key) => Path.Combine(dir, $"mtt-{key}-inputs.safetensors");
    public static string GradsFile(string dir, string key, string who) => Path.Combine(dir, $"mtt-{key}-{who}-grads.safetensors");

    public string Name => "mtt-iteration";
    public bool ReportsOwnPeak => true;

    public CaseResult Run(BenchSettings settings)
    {
        string dir = settings.ResultsDir;
        Directory.CreateDirectory(dir);
        var child = new ChildRunner(dir, settings.Device, settings.Threads);
        var metrics = new List<Metric>();
        var details = new Dictionary<string, object>();
        var chosen = settings.MttConfigs.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var k in chosen)
            if (Configs.All(c => c.Key != k)) throw new ArgumentException($"--mtt-configs: unknown '{k}'; known: {string.Join(", ", Configs.Select(c => c.Key))}");
        bool cuda = settings.TorchDevice.Type == DeviceType.Cuda;
        // --mtt-syn-steps scales every configuration (and the N = 10 vs 80 memory rows below) down for a quick run.
        var configs = Configs.Select(c => settings.MttSynSteps > 0 ? c with { Steps = settings.MttSynSteps } : c).ToArray();
        foreach (var c in configs)
        {
            if (!chosen.Contains(c.Key))
            {
                File.Delete(InputsFile(dir, c.Key));            // the PyTorch side skips what DDist did not run
                continue;
            }
            MakeInputs(dir, c, settings.Seed);
            int timed = Math.Max(1, Math.Min(settings.Timed, c.Timed)), warmup = Math.Min(settings.Warmup, 1);
            var exact = child.Run(c.Key, UnrollMode.Exact, c.Steps, warmup, timed, save: "ddist-exact");
            // Full unrolling holds every step's graph: about N/2 times exact recomputation's working set (W32: 2.9 GiB
            // against 0.39 GiB at N = 20). Skip it, on both sides, where that would not fit in the host memory available
            // now (on CUDA the shim reads no free-memory figure; the configurations here need a few GiB at most).
            double needMib = c.Steps * (Peak(exact) - exact["start_kib"]!.GetValue<double>() / 1024) / 2;
            double availableMib = cuda ? double.PositiveInfinity : MemAvailableMib();
            if (needMib > 0.8 * availableMib)
            {
                File.Delete(InputsFile(dir, c.Key));
                var note = $"skipped: full unrolling needs about {needMib / 1024:F1} GiB, {availableMib / 1024:F1} GiB available";
                Console.WriteLine($"  mtt-iteration {c.Key}: {note}");
                details[c.Key] = new Dictionary<string, object> { ["skipped"] = note, ["exact"] = exact };
                continue;
            }
            var full = child.Run(c.Key, UnrollMode.Full, c.Steps, warmup, timed, save: "ddist");
            var tesla = child.Run(c.Key, UnrollMode.Tesla, c.Steps, 0, 1, save: "ddist-tesla");
            double fullS = Median(full), exactS = Median(exact);
            metrics.Add(new Metric($"{c.Key} s/iter", fullS, HigherIsBetter: false));
            metrics.Add(new Metric($"{c.Key} peak MiB", Peak(full), HigherIsBetter: false));
            if (full["tensor_peak_kib"] is { } tensorPeak)
                metrics.Add(new Metric($"{c.Key} tensor peak MiB", tensorPeak.GetValue<double>() / 1024, HigherIsBetter: false));
            details[c.Key] = new Dictionary<string, object>
            {
                ["model"] = c.Model, ["device"] = settings.Device, ["peak_memory"] = cuda ? "CUDA max_memory_allocated" : "VmHWM", ["images"] = c.Images, ["syn_steps"] = c.Steps, ["batch_syn"] = c.Batch, ["alpha"] = StudentStepSize,
                ["full"] = full, ["exact"] = exact, ["tesla"] = tesla,
                ["exact_over_full_time"] = exactS / fullS,
                ["exact_over_full_cpu_time"] = MedianCpu(exact) / MedianCpu(full),
                ["exact_peak_mib"] = Peak(exact), ["full_peak_mib"] = Peak(full),
                ["exact_vs_full"] = Compare(GradsFile(dir, c.Key, "ddist-exact"), GradsFile(dir, c.Key, "ddist")),
                ["tesla_vs_exact (approximate)"] = Compare(GradsFile(dir, c.Key, "ddist-tesla"), GradsFile(dir, c.Key, "ddist-exact")),
            };
        }
        // Memory flat in N: exact recomputation at N = 10 and N = 80 (batches drawn by the MTT schedule from the seed);
        // with --mtt-syn-steps n, at min(n, 10) and 8 times that.
        var w32 = configs[0];
        if (!chosen.Contains(w32.Key) || !File.Exists(InputsFile(dir, w32.Key))) return new CaseResult(metrics, details);
        int low = Math.Min(10, w32.Steps), high = 8 * low;
        var nLow = child.Run(w32.Key, UnrollMode.Exact, low, 0, 1, save: null);
        var nHigh = child.Run(w32.Key, UnrollMode.Exact, high, 0, 1, save: null);
        details["exact_peak_by_steps"] = new Dictionary<string, object>
        {
            ["config"] = w32.Key, ["syn_steps"] = new[] { low, high }, [$"n{low}"] = nLow, [$"n{high}"] = nHigh, [$"peak_ratio_{high}_over_{low}"] = Peak(nHigh) / Peak(nLow),
        };
        return new CaseResult(metrics, details);
    }

    private static double Median(JsonObject r) => StepTimer.Median(r["seconds"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray());
    private static double MedianCpu(JsonObject r) => StepTimer.Median(r["cpu_seconds"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray());
    private static double Peak(JsonObject r) => r["peak_kib"]!.GetValue<double>() / 1024;

    /// <summary>θ_0 (PyTorch's default init), θ* = θ_0 + 0.01·N(0, 1), N(0, 1) images, labels i mod 10 and the
    /// reference's batch schedule (permutation chunks, last chunk first), all from the seed.</summary>
    private static void MakeInputs(string dir, Config c, ulong seed)
    {
        using var scope = new TensorScope();
        Tensors.ManualSeed(seed);
        var net = ModelZoo.Create(c.Model, 1, 10, 28, 28);
        var theta0 = net.InitParameters();
        var target = theta0 + Tensors.Randn(theta0.Shape) * 0.01;
        var images = Tensors.Randn([c.Images, 1, 28, 28]);
        var labels = Tensors.FromArray(Enumerable.Range(0, c.Images).Select(i => (long)(i % 10)).ToArray());
        using var schedule = new MinibatchSchedule(c.Images, c.Batch, Device.Cpu);
        var batches = new List<Tensor>();
        for (int i = 0; i < c.Steps; i++) batches.Add(schedule.Next());
        var batchTensor = Tensors.Stack(batches);
        foreach (var b in batches) b.Dispose();
        var layout = new JsonArray(net.Layout.Select(s => (JsonNode)new JsonObject
        {
            ["name"] = s.Name, ["shape"] = new JsonArray(s.Shape.Select(d => (JsonNode)d).ToArray()),
        }).ToArray());
        SafeTensors.Save(InputsFile(dir, c.Key), new Dictionary<string, Tensor>
        {
            ["theta0"] = theta0, ["theta_star"] = target, ["images"] = images, ["labels"] = labels, ["batches"] = batchTensor,
            ["alpha"] = Tensors.Scalar(StudentStepSize, DType.Float32),
        }, new Dictionary<string, string> { ["model"] = c.Model, ["layout"] = layout.ToJsonString(), ["batch_norm"] = net.HasBatchNorm ? "1" : "0" });
    }

    /// <summary>Starts the children: every one reads and writes its files in <c>Dir</c> and runs on <c>Device</c>.</summary>
    private sealed record ChildRunner(string Dir, string Device, int Threads)
    {
        public JsonObject Run(string key, UnrollMode mode, int steps, int warmup, int timed, string? save) =>
            Child(Dir, Device, key, mode, steps, warmup, timed, Threads, save);
    }

    private static JsonObject Child(string dir, string device, string key, UnrollMode mode, int steps, int warmup, int timed, int threads, string? save)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "--mtt-child", key, UnrollModes.Name(mode), steps.ToString(CultureInfo.InvariantCulture),
                                  warmup.ToString(CultureInfo.InvariantCulture), timed.ToString(CultureInfo.InvariantCulture),
                                  threads.ToString(CultureInfo.InvariantCulture), save ?? "-", dir, device })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"mtt-iteration child {key}/{mode}/{steps} failed with exit code {p.ExitCode}");
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        var r = JsonNode.Parse(last)!.AsObject();
        Console.WriteLine($"  mtt-iteration {key} {UnrollModes.Name(mode)} N={steps}: {string.Join(" ", r["seconds"]!.AsArray().Select(v => v!.GetValue<double>().ToString("F2", CultureInfo.InvariantCulture)))} s, peak {Peak(r):F0} MiB" +
                          (r["tensor_peak_kib"] is { } t ? $" ({t.GetValue<double>() / 1024:F0} MiB in tensors)" : ""));
        return r;
    }

    /// <summary>The child: loads the inputs, runs warmup + timed iterations of one mode, prints one JSON line with the
    /// seconds per iteration, the start and peak memory (resident on the CPU, the caching allocator's on CUDA), and
    /// saves the first iteration's gradients. Arguments: key, mode, N, warmup, timed, threads, save|-, dir, device.</summary>
    public static int RunChild(string[] args)
    {
        if (args.Length != 10) throw new ArgumentException("--mtt-child KEY MODE STEPS WARMUP TIMED THREADS SAVE|- DIR DEVICE");
        string key = args[1];
        var mode = UnrollModes.Parse(args[2], "mode");
        int steps = int.Parse(args[3], CultureInfo.InvariantCulture), warmup = int.Parse(args[4], CultureInfo.InvariantCulture);
        int timed = int.Parse(args[5], CultureInfo.InvariantCulture), threads = int.Parse(args[6], CultureInfo.InvariantCulture);
        string? save = args[7] == "-" ? null : args[7];
        string dir = args[8];
        var device = Device.Parse(args[9]);
        bool cuda = device.Type == DeviceType.Cuda;
        if (threads > 0) Tensors.SetNumThreads(threads);
        using var scope = new TensorScope();
        // Read on the CPU (the numbers DDist drew from the seed), then moved: both sides start from the same tensors.
        var (t, meta) = SafeTensors.Load(InputsFile(dir, key));
        var net = ModelZoo.Create(meta["model"], 1, 10, 28, 28);
        var images = t["images"].To(device);
        var labels = t["labels"].To(device);
        var theta0 = t["theta0"].To(device);
        var target = t["theta_star"].To(device);
        var batches = t["batches"].To(device);
        var alpha = t["alpha"].To(device);
        bool fromFile = steps <= batches.Size(0);
        Tensors.ManualSeed(1);
        using var schedule = new MinibatchSchedule(images.Size(0), batches.Size(1), device);
        var problem = new UnrollProblem
        {
            Forward = (x, theta) => net.Forward(x, theta, null, training: true),
            Images = images,
            StepLoss = (logits, idx, _) => F.CrossEntropy(logits, labels.IndexSelect(0, idx)),
            StepSize = alpha,
            Theta0 = theta0,
            Steps = steps,
            NextBatch = i => fromFile ? batches.Select(0, i).Contiguous().DetachFromScope() : schedule.Next(),
            TerminalLoss = theta => (theta - target).Square().Sum() / (theta0 - target).Square().Sum(),
        };
        if (cuda)
        {
            Tensors.CudaSynchronize();
            Tensors.CudaResetPeakMemory(device.Index);
        }
        else TensorMemory.ResetPeak(Device.Cpu);
        long startKib = cuda ? CudaKib(device, peak: false) : ProcStatusKib("VmRSS");
        var seconds = new List<double>();
        var cpuSeconds = new List<double>();
        double loss = double.NaN;
        for (int i = 0; i < warmup + timed; i++)
        {
            var c0 = Environment.CpuUsage.TotalTime;
            long t0 = Stopwatch.GetTimestamp();
            using var g = UnrolledGradient.Compute(problem, mode);
            Tensors.CudaSynchronize();   // CUDA runs asynchronously: the iteration is done when the device is (no-op on CPU)
            double s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            if (i >= warmup)
            {
                seconds.Add(s);
                cpuSeconds.Add((Environment.CpuUsage.TotalTime - c0).TotalSeconds);
            }
            if (i == 0)
            {
                loss = g.Loss;
                if (save is not null)
                    SafeTensors.Save(GradsFile(dir, key, save), new Dictionary<string, Tensor>
                    {
                        ["images"] = g.Images.To(Device.Cpu), ["alpha"] = g.StepSize.To(Device.Cpu), ["loss"] = Tensors.Scalar(g.Loss, DType.Float64),
                    });
            }
        }
        var result = new JsonObject
        {
            ["mode"] = UnrollModes.Name(mode) + (UnrollModes.IsExact(mode) ? "" : " (approximate)"),
            ["syn_steps"] = steps,
            ["seconds"] = new JsonArray(seconds.Select(s => (JsonNode)Math.Round(s, 4)).ToArray()),
            ["cpu_seconds"] = new JsonArray(cpuSeconds.Select(s => (JsonNode)Math.Round(s, 4)).ToArray()),
            ["device"] = device.ToString(), ["peak_memory"] = cuda ? "CUDA max_memory_allocated" : "VmHWM",
            ["start_kib"] = startKib, ["peak_kib"] = cuda ? CudaKib(device, peak: true) : ProcStatusKib("VmHWM"), ["loss"] = loss,
        };
        // On the CPU also the most the tensors held at once (the shim's count, the quantity CUDA's peak is), which
        // resident memory only bounds from above: the C library and oneDNN keep memory that was freed.
        if (!cuda && TensorMemory.Of(Device.Cpu) is { } tensors) result["tensor_peak_kib"] = tensors.PeakAllocatedBytes / 1024;
        Console.WriteLine(result.ToJsonString());
        return 0;
    }

    /// <summary>The CUDA caching allocator's allocated (or peak allocated) memory in KiB; a shim that cannot read
    /// it is an error here, since this peak is what the child reports.</summary>
    private static long CudaKib(Device device, bool peak)
    {
        var m = Tensors.CudaMemory(device.Index)
            ?? throw new InvalidOperationException("mtt-iteration on CUDA: this shim cannot read the CUDA memory statistics (dd_cuda_memory_stats)");
        return (peak ? m.PeakAllocatedBytes : m.AllocatedBytes) / 1024;
    }

    private static double MemAvailableMib()
    {
        foreach (var line in File.ReadLines("/proc/meminfo"))
            if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                return long.Parse(line["MemAvailable:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        return double.PositiveInfinity;
    }

    private static long ProcStatusKib(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return -1;
    }

    /// <summary>Agreement of gradient file a with reference b: cosine and relative norm difference of the image
    /// gradients, relative difference of α's gradient and of the loss.</summary>
    public static Dictionary<string, double> Compare(string a, string b)
    {
        using var scope = new TensorScope();
        var (ta, _) = SafeTensors.Load(a);
        var (tb, _) = SafeTensors.Load(b);
        var ga = ta["images"].To(DType.Float64).Flatten();
        var gb = tb["images"].To(DType.Float64).Flatten();
        double dot = (ga * gb).Sum().Item(), na = ga.Norm().Item(), nb = gb.Norm().Item();
        double la = ta["alpha"].To(DType.Float64).Item(), lb = tb["alpha"].To(DType.Float64).Item();
        double lossA = ta["loss"].Item(), lossB = tb["loss"].Item();
        return new Dictionary<string, double>
        {
            ["image_grad_cosine"] = dot / (na * nb),
            ["image_grad_rel_norm_diff"] = (ga - gb).Norm().Item() / nb,
            ["alpha_grad_rel_diff"] = Math.Abs(la - lb) / Math.Abs(lb),
            ["loss_rel_diff"] = Math.Abs(lossA - lossB) / Math.Abs(lossB),
        };
    }
}
