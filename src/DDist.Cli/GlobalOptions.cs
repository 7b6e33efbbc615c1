using System.CommandLine;
using DDist.Torch;

namespace DDist.Cli;

/// <summary>Options every command accepts (declared once on the root, recursive).</summary>
public sealed class GlobalOptions
{
    public Option<ulong> Seed { get; } = new("--seed") { Description = "Run seed; every random choice derives from it", DefaultValueFactory = _ => 0, Recursive = true };
    public Option<int?> Threads { get; } = new("--threads") { Description = "libtorch CPU threads (default: physical cores)", Recursive = true };
    public Option<string> Device { get; } = new("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu", Recursive = true };
    public Option<string?> Out { get; } = new("--out", "-o") { Description = "Output file or directory (meaning depends on the command)", Recursive = true };
    public Option<bool> Json { get; } = new("--json") { Description = "Print the result as JSON on stdout (progress goes to stderr)", Recursive = true };
    public Option<bool> Deterministic { get; } = new("--deterministic")
    {
        Description = "Deterministic GPU kernels (cuDNN, CUDA ops, cuBLAS workspace; DSA's warps as gathers), slower; ops without one warn", Recursive = true,
    };

    public void AddTo(RootCommand root)
    {
        root.Options.Add(Seed);
        root.Options.Add(Threads);
        root.Options.Add(Device);
        root.Options.Add(Out);
        root.Options.Add(Json);
        root.Options.Add(Deterministic);
    }

    /// <summary>Applies --threads, --device and --deterministic to libtorch and bundles them for the command.</summary>
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
        return new CliContext(parse.GetValue(Seed), threads, device, parse.GetValue(Out), parse.GetValue(Json), output, error, ct) { Deterministic = deterministic };
    }
}
