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
    /// <summary>--memory-limit (or DDIST_MEMORY_LIMIT) in bytes: the cap on CPU tensor memory, passed on to Slurm tasks.</summary>
    public long? MemoryLimit { get; init; }
    /// <summary>--seed was given on the command line (not its default).</summary>
    public bool SeedGiven { get; init; }

    /// <summary>A recipe sets its own seed (recorded with the folder's recipe): a --seed beside it would be silently
    /// ignored, so it is refused, naming the field to edit.</summary>
    public void RefuseSeedBeside(string recipePath)
    {
        if (SeedGiven && File.Exists(recipePath))
            throw new CliException($"--seed: {recipePath} sets its own seed (field 'seed'); edit it there (another seed is another experiment, for another --out)");
    }

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

    /// <summary>The value of --out, or an error naming the command that needs it; checked up front as a folder when
    /// <paramref name="what"/> is DIR, else as a file (<see cref="OutFile"/>, <see cref="OutFolder"/>).</summary>
    public string RequireOut(string command, string what) =>
        string.IsNullOrWhiteSpace(Out) ? throw new CliException($"{command}: --out {what} is required")
        : what == "DIR" ? OutFolder(Out) : OutFile()!;

    /// <summary>--out as a file to write, or null without it: refused before any work when it is a folder or lies under a
    /// file (an I/O error, 74, naming the path as given), rather than failing at the end of the work.</summary>
    public string? OutFile()
    {
        if (Out is null) return null;
        CheckParents(Out);
        if (Directory.Exists(Out)) throw new IOException($"--out {Out}: cannot write: it is a folder, and this command writes a file");
        return Out;
    }

    /// <summary>--out (or <paramref name="fallback"/>) as the folder a command writes into, checked before any work.</summary>
    public string OutFolder(string fallback)
    {
        var dir = Out ?? fallback;
        CheckParents(dir);
        if (File.Exists(dir)) throw new IOException($"--out {dir}: cannot write: it is a file, and this command writes a folder");
        return dir;
    }

    private static void CheckParents(string path)
    {
        if (AtomicFile.FileAmongFolders(path) is { } up) throw new IOException($"--out {path}: cannot write: {up} is a file, not a folder");
    }

    /// <summary>A note for the person at the terminal (stderr, so --json output stays clean).</summary>
    public void Note(string message) => Error.WriteLine(message);
}
