using System.Text.Json;
using System.Text.Json.Serialization;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Cli;

/// <summary>What a command needs beyond its own options: the global settings and where to write.
/// Results go to <see cref="Output"/> (stdout), progress and messages to <see cref="Error"/> (stderr).</summary>
public sealed record CliContext(ulong Seed, int Threads, Device Device, string? Out, bool Json, TextWriter Output, TextWriter Error, CancellationToken Cancel)
{
    /// <summary>--deterministic: deterministic GPU kernels (<see cref="Tensors.Deterministic"/>), passed on to Slurm tasks.</summary>
    public bool Deterministic { get; init; }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes the command's result: <paramref name="json"/> serialised when --json, otherwise the human text.</summary>
    public void WriteResult(object json, Action<TextWriter> human)
    {
        if (Json) Output.WriteLine(JsonSerializer.Serialize(json, JsonOptions));
        else human(Output);
    }

    /// <summary>Writes a result as a JSON file (atomically), e.g. for --out.</summary>
    public void SaveJson(string path, object value) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>The value of --out, or an error naming the command that needs it.</summary>
    public string RequireOut(string command, string what) =>
        string.IsNullOrWhiteSpace(Out) ? throw new CliException($"{command}: --out {what} is required") : Out;

    /// <summary>A note for the person at the terminal (stderr, so --json output stays clean).</summary>
    public void Note(string message) => Error.WriteLine(message);
}
