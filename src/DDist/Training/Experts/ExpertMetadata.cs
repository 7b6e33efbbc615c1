using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DDist.Training.Experts;

/// <summary>What determines an expert's trajectory. Two runs with equal configs produce identical files, so a
/// directory may only hold experts of one config (apart from <see cref="Index"/> and <see cref="Seed"/>).</summary>
public sealed record ExpertConfig
{
    public required string Dataset { get; init; }
    public required string Normalization { get; init; }
    public required bool Zca { get; init; }
    public required int TrainCount { get; init; }
    public required int[] ImageShape { get; init; }   // C, H, W
    public required int NumClasses { get; init; }
    public required string Model { get; init; }
    public required long ParameterCount { get; init; }
    public required int Epochs { get; init; }
    public required double LearningRate { get; init; }
    public required double Momentum { get; init; }
    public required double WeightDecay { get; init; }
    public required int BatchSize { get; init; }
    public required string Augmentation { get; init; }
    public string? DsaStrategy { get; init; }
    public required bool Decay { get; init; }
    /// <summary>GSAM's settings when the expert was trained with it (absent for plain SGD, as in every file written before it).</summary>
    public SharpnessAware? Sharpness { get; init; }
    /// <summary>Where the trajectories come from when DDist did not train them: "imported: …" for PyTorch replay buffers
    /// (<see cref="ExpertBufferImport"/>), whose training settings are as stated at import, not read from the file.
    /// Absent for experts DDist trained.</summary>
    public string? Source { get; init; }
    public required ulong RunSeed { get; init; }
    public required int Index { get; init; }
    /// <summary>The seed this expert's libtorch generator started from, derived from (RunSeed, Index).</summary>
    public required ulong Seed { get; init; }
}

/// <summary>Per-epoch record of one expert. TestAccuracy[e] belongs to snapshot "epoch_e" (E+1 entries,
/// e = 0 being the initialisation); TrainLoss[e−1] and TrainAccuracy[e−1] to the training of epoch e (E entries).</summary>
public sealed record ExpertHistory
{
    public List<double> TestAccuracy { get; init; } = new();
    public List<double> TrainLoss { get; init; } = new();
    public List<double> TrainAccuracy { get; init; } = new();
}

/// <summary>Which trajectory of which PyTorch replay buffer an imported expert is, and the test accuracy DDist measured
/// for its last snapshot when it could (null for a network with batch norm, whose running statistics a buffer does not keep).</summary>
public sealed record ExpertOrigin(string File, int Position, double? FinalTestAccuracy);

/// <summary>The JSON beside each expert_NNNN.safetensors (and inside its metadata under "ddist").
/// Deliberately free of timestamps and durations, so a resumed run writes the same bytes as an uninterrupted one.</summary>
public sealed record ExpertMetadata
{
    public string Format { get; init; } = FormatName;
    public required ExpertConfig Config { get; init; }
    public required ExpertHistory History { get; init; }
    /// <summary>Set for an imported expert (<see cref="ExpertConfig.Source"/>); absent for one DDist trained.</summary>
    public ExpertOrigin? Origin { get; init; }

    public const string FormatName = "ddist.expert.v1";

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static ExpertMetadata Parse(string json, string source)
    {
        ExpertMetadata? m;
        try { m = JsonSerializer.Deserialize<ExpertMetadata>(json, Json); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: not valid expert metadata JSON ({e.Message})"); }
        if (m is null) throw new InvalidDataException($"{source}: empty expert metadata");
        if (m.Format != FormatName) throw new InvalidDataException($"{source}: field 'format' is '{m.Format}', expected '{FormatName}'");
        return m;
    }

    public static ExpertMetadata Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such expert metadata file", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>The first field (JSON name) whose value differs between two configs, ignoring the listed
    /// fields; null when they agree.</summary>
    public static string? FirstDifference(ExpertConfig a, ExpertConfig b, params string[] ignore) => FirstDifference(a, b, key => !ignore.Contains(key));

    /// <summary>What trajectory matching needs of an expert: the network and the images' space. An imported expert
    /// stands for a run's own when these agree; its training settings are the buffer's, not the run's.</summary>
    public static readonly string[] MatchingFields = ["dataset", "normalization", "zca", "imageShape", "numClasses", "model", "parameterCount"];

    /// <summary>The first of <see cref="MatchingFields"/> whose value differs; null when the expert fits.</summary>
    public static string? MatchingDifference(ExpertConfig a, ExpertConfig b) => FirstDifference(a, b, MatchingFields.Contains);

    private static string? FirstDifference(ExpertConfig a, ExpertConfig b, Func<string, bool> compared)
    {
        var ja = JsonSerializer.SerializeToNode(a, Json)!.AsObject();
        var jb = JsonSerializer.SerializeToNode(b, Json)!.AsObject();
        foreach (var key in ja.Select(p => p.Key).Union(jb.Select(p => p.Key)))
        {
            if (!compared(key)) continue;
            if (!JsonNode.DeepEquals(ja[key], jb[key]))
                return $"{key}: {ja[key]?.ToJsonString() ?? "absent"} vs {jb[key]?.ToJsonString() ?? "absent"}";
        }
        return null;
    }
}
