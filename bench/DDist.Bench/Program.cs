using System.Text.Json;
using System.Text.Json.Nodes;
using DDist.Bench;
using DDist.Torch;

// DDist side of the engine benchmark: runs the named cases and writes their results as JSON
// (same shape as bench/pytorch/bench.py's) for bench/report.py to put side by side.
if (args.Length > 0 && args[0] == "--mtt-child") return MttIteration.RunChild(args);
var settings = BenchSettings.Parse(args, out var caseNames, out var outPath);
if (settings.Threads <= 0) settings = settings with { Threads = Tensors.PhysicalCores() };
Tensors.SetNumThreads(settings.Threads);
var device = settings.TorchDevice;
if (device.Type == DeviceType.Cuda && (!Tensors.IsCudaAvailable || device.Index >= Tensors.CudaDeviceCount))
    throw new ArgumentException($"--device {device}: this libtorch ({Tensors.Version}) sees no such CUDA device");
Console.WriteLine($"ddist: libtorch {Tensors.Version}, threads {Tensors.NumThreads}, fused CPU kernels {Tensors.FastKernelIsa}, grad enabled {Tensors.IsGradEnabled}, device {device}");

var results = new JsonObject();
foreach (var name in caseNames)
{
    var bench = BenchCases.All.FirstOrDefault(c => c.Name == name)
        ?? throw new ArgumentException($"unknown case '{name}'; known: {string.Join(", ", BenchCases.All.Select(c => c.Name))}");
    if (device.Type == DeviceType.Cuda) TryMemoryStats(Tensors.CudaEmptyCache);
    TryMemoryStats(() => TensorMemory.ResetPeak(device));
    var r = bench.Run(settings);
    // The most memory the case's tensors held at once: torch.cuda.max_memory_allocated on a GPU, the shim's count
    // of CPU tensor bytes on the CPU (bench.py loads the same shim and reads the same count for PyTorch).
    TensorMemoryStats? memory = null;
    if (!bench.ReportsOwnPeak) TryMemoryStats(() => memory = TensorMemory.Of(device));
    if (memory is { PeakAllocatedBytes: > 0 } m)
        r = r with { Metrics = [.. r.Metrics, new Metric("peak MiB", m.PeakMiB, HigherIsBetter: false)] };
    Console.WriteLine($"ddist {name}: " + string.Join(", ", r.Metrics.Select(m => $"{m.Name} {m.Value:G4}")));
    results[name] = new JsonObject
    {
        ["metrics"] = new JsonArray(r.Metrics.Select(m => (JsonNode)new JsonObject
        {
            ["name"] = m.Name, ["value"] = m.Value, ["higher_is_better"] = m.HigherIsBetter,
        }).ToArray()),
        ["details"] = JsonSerializer.SerializeToNode(r.Details),
    };
}

var doc = new JsonObject
{
    ["engine"] = "ddist",
    ["torch_version"] = Tensors.Version,
    ["threads"] = Tensors.NumThreads,
    ["cpu_kernels"] = Tensors.FastKernelIsa.ToString(),
    ["device"] = device.ToString(),
    ["settings"] = JsonSerializer.SerializeToNode(settings),
    ["cases"] = results,
};
DDist.Torch.IO.AtomicFile.WriteAllText(outPath, doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
return 0;

// Memory statistics are a report, not the measurement: a shim that cannot read them costs the column, not the run.
static void TryMemoryStats(Action action)
{
    try { action(); }
    catch (TorchException e) { Console.Error.WriteLine($"ddist: tensor memory statistics unavailable: {e.Message}"); }
}
