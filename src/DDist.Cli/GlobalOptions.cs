using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using DDist.Torch;

namespace DDist.Cli;

/// <summary>Options every command accepts (declared once on the root, recursive).</summary>
public sealed class GlobalOptions
{
    public Option<ulong> Seed { get; } = new("--seed")
    {
        Description = "Run seed; every random choice derives from it (a negative one wraps to 64 bits, as a recipe's does)",
        DefaultValueFactory = _ => 0, Recursive = true, CustomParser = ParseSeed,
    };
    public Option<int?> Threads { get; } = new("--threads") { Description = "libtorch CPU threads (default: physical cores)", Recursive = true };
    public Option<string> Device { get; } = new("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu", Recursive = true };
    public Option<string?> Out { get; } = new("--out", "-o") { Description = "Output file or directory (meaning depends on the command)", Recursive = true };
    public Option<bool> Json { get; } = new("--json") { Description = "Print the result as JSON on stdout (progress goes to stderr)", Recursive = true };
    public Option<string?> MemoryLimit { get; } = new("--memory-limit")
    {
        Description = "Cap on CPU tensor memory, e.g. 8G or 512M (default: DDIST_MEMORY_LIMIT, else none): past it a run stops with " +
                      "'out of memory' (exit 71), checkpoints kept, where the system's OOM killer would end it without a word",
        Recursive = true,
    };
    public Option<bool> Deterministic { get; } = new("--deterministic")
    {
        Description = "Deterministic GPU kernels (cuDNN, CUDA ops, cuBLAS workspace; DSA's warps as gathers), slower; ops without one warn", Recursive = true,
    };

    /// <summary>Any 64-bit integer: a negative seed wraps to the same 64 bits (two's complement), as a recipe's int
    /// seed does and as PyTorch's <c>manual_seed</c> does, so <c>--seed -1</c> and a recipe's <c>"seed": -1</c> agree.</summary>
    static ulong ParseSeed(ArgumentResult result)
    {
        string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
        if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong seed)) return seed;
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long signed)) return unchecked((ulong)signed);
        result.AddError($"--seed {text}: expected an integer from {long.MinValue} to {ulong.MaxValue}");
        return 0;
    }

    static long? ParseMemoryLimit(string? text, string source)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try { return DDist.Reporting.MemoryText.ParseBytes(text); }
        catch (FormatException e) { throw new CliException($"{source}: {e.Message}"); }
    }

    public void AddTo(Command root)
    {
        root.Options.Add(Seed);
        root.Options.Add(Threads);
        root.Options.Add(Device);
        root.Options.Add(Out);
        root.Options.Add(Json);
        root.Options.Add(Deterministic);
        root.Options.Add(MemoryLimit);
    }

    /// <summary>Applies --threads, --device, --deterministic and --memory-limit to libtorch and bundles them for the command.</summary>
    public CliContext Resolve(ParseResult parse, TextWriter output, TextWriter error, CancellationToken ct)
    {
        int threads = parse.GetValue(Threads) ?? Tensors.PhysicalCores();
        if (threads < 1) throw new CliException($"--threads {threads}: need at least 1");
        Device device;
        try { device = DDist.Torch.Device.Parse(parse.GetValue(Device) ?? "cpu"); }
        catch (ArgumentException e) { throw new CliException($"--device: {e.Message}"); }
        if (device.Type == DeviceType.Cuda && (!Tensors.IsCudaAvailable || device.Index >= Tensors.CudaDeviceCount))
            throw new CliException($"--device {device}: CUDA device not available (this libtorch sees {(Tensors.IsCudaAvailable ? Tensors.CudaDeviceCount : 0)})");
        Tensors.SetNumThreads(threads);
        // Before any CUDA work: cuBLAS reads its workspace setting when it makes its first handle. Set either way, so a
        // command run in the same process after one with the flag (tests, the self-test) does not inherit it.
        bool deterministic = parse.GetValue(Deterministic);
        if (deterministic != Tensors.Deterministic) Tensors.Deterministic = deterministic;
        // Set either way, as --deterministic: a command run in the same process after one with a limit does not keep it.
        var memoryLimit = ParseMemoryLimit(parse.GetValue(MemoryLimit) ?? Environment.GetEnvironmentVariable("DDIST_MEMORY_LIMIT"),
                                           parse.GetResult(MemoryLimit) is { Implicit: false } ? "--memory-limit" : "DDIST_MEMORY_LIMIT");
        TensorMemory.CpuLimitBytes = memoryLimit;
        return new CliContext(parse.GetValue(Seed), threads, device, parse.GetValue(Out), parse.GetValue(Json), output, error, ct)
        {
            Deterministic = deterministic, SeedGiven = parse.GetResult(Seed) is { Implicit: false }, MemoryLimit = memoryLimit,
        };
    }
}
