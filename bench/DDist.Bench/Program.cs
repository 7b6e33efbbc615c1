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
Console.WriteLine($"ddist: libtorch {Tensors.Version}, threads {Tensors.NumThreads}, grad enabled {Tensors.IsGradEnabled}");

var results = new JsonObject();
foreach (var name in caseNames)
{
    var bench = BenchCases.All.FirstOrDefault(c => c.Name == name)
        ?? throw new ArgumentException($"unknown case '{name}'; known: {string.Join(", ", BenchCases.All.Select(c => c.Name))}");
    var r = bench.Run(settings);
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
    ["settings"] = JsonSerializer.SerializeToNode(settings),
    ["cases"] = results,
};
DDist.Torch.IO.AtomicFile.WriteAllText(outPath, doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
return 0;
