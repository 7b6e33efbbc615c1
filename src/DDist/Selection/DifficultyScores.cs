using System.Globalization;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Selection;

/// <summary>One difficulty value per training example, in training-set order, plus what it means.
/// The same file format holds imported C-scores and computed forgetting scores: safetensors with
/// <c>scores</c> (float64), optional <c>labels</c> (int64) and optional <c>tiebreak</c> (float64), and string
/// metadata <c>kind</c>, <c>direction</c> (the hard end), <c>dataset</c>, <c>source</c>, <c>tiebreak_name</c>,
/// <c>tiebreak_direction</c>, and <c>seconds</c> when the cost of computing them is known.</summary>
public sealed record DifficultyScores
{
    public const string Format = "ddist.scores.v1";

    public required double[] Scores { get; init; }
    /// <summary>The class of each example as the score's producer saw it, when known; checked against the dataset.</summary>
    public long[]? Labels { get; init; }
    public required ScoreKind Kind { get; init; }
    public required HardEnd Direction { get; init; }
    /// <summary>Secondary key that orders examples whose primary scores tie (e.g. mean loss over presentations).</summary>
    public double[]? TieBreak { get; init; }
    public string? TieBreakName { get; init; }
    public HardEnd TieBreakDirection { get; init; } = HardEnd.High;
    public required string Dataset { get; init; }
    /// <summary>Where the numbers came from: an imported file's path, or a description of the computing run.</summary>
    public required string Source { get; init; }
    /// <summary>What computing the scores took, when this process or the file records it (metadata <c>seconds</c>).</summary>
    public double? Seconds { get; init; }

    public int Count => Scores.Length;

    /// <summary>Throws when the scores cannot belong to a training set with these labels: wrong length, non-finite
    /// values, or (when the file carries labels) a label that disagrees.</summary>
    public void CheckAgainst(IReadOnlyList<long> datasetLabels, string where)
    {
        if (Scores.Length != datasetLabels.Count)
            throw new InvalidDataException($"{where}: field 'scores' has {Scores.Length} entries, the training set of '{Dataset}' has {datasetLabels.Count} examples");
        for (int i = 0; i < Scores.Length; i++)
            if (!double.IsFinite(Scores[i]))
                throw new InvalidDataException($"{where}: field 'scores' entry {i} is {Scores[i]}, expected a finite number");
        if (TieBreak is not null && TieBreak.Length != Scores.Length)
            throw new InvalidDataException($"{where}: field 'tiebreak' has {TieBreak.Length} entries, 'scores' has {Scores.Length}");
        if (Labels is null) return;
        if (Labels.Length != datasetLabels.Count)
            throw new InvalidDataException($"{where}: field 'labels' has {Labels.Length} entries, the training set has {datasetLabels.Count}");
        for (int i = 0; i < Labels.Length; i++)
            if (Labels[i] != datasetLabels[i])
                throw new InvalidDataException($"{where}: field 'labels' entry {i} is {Labels[i]} but the training set's label is {datasetLabels[i]}; the scores are not in training-set order");
    }

    /// <summary>Writes the safetensors file atomically.</summary>
    public void Save(string path)
    {
        using var scope = new TensorScope();
        var tensors = new List<KeyValuePair<string, Tensor>> { new("scores", Tensors.FromArray(Scores)) };
        if (Labels is not null) tensors.Add(new("labels", Tensors.FromArray(Labels)));
        if (TieBreak is not null) tensors.Add(new("tiebreak", Tensors.FromArray(TieBreak)));
        var meta = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["kind"] = Kind.FileName(),
            ["direction"] = Direction == HardEnd.Low ? "low" : "high",
            ["dataset"] = Dataset,
            ["source"] = Source,
        };
        if (Seconds is double seconds) meta["seconds"] = seconds.ToString("R", CultureInfo.InvariantCulture);
        if (TieBreak is not null)
        {
            meta["tiebreak_name"] = TieBreakName ?? "tiebreak";
            meta["tiebreak_direction"] = TieBreakDirection == HardEnd.Low ? "low" : "high";
        }
        SafeTensors.Save(path, tensors, meta);
    }

    public static DifficultyScores Load(string path)
    {
        InputFile.Require(path, "score file");
        using var file = SafeTensorsFile.Open(path);
        var meta = file.Metadata;
        string Need(string key) => meta.TryGetValue(key, out var v) ? v
            : throw new InvalidDataException($"{path}: metadata field '{key}' missing; not a DDist score file (format {Format})");
        if (Need("format") != Format)
            throw new InvalidDataException($"{path}: metadata field 'format' is '{meta["format"]}', expected '{Format}'");
        Tensor Vector(string name)
        {
            var t = file.Read(name);
            if (t.Dim == 1) return t;
            var shape = string.Join(",", t.Shape);
            t.Dispose();
            throw new InvalidDataException($"{path}: tensor '{name}' has shape [{shape}], expected one entry per training example (a vector)");
        }
        double[] ReadDoubles(string name)
        {
            using var t = Vector(name);
            using var d = t.To(DType.Float64);
            return d.ToArray<double>();
        }
        if (!file.Contains("scores")) throw new InvalidDataException($"{path}: tensor 'scores' missing");
        long[]? labels = null;
        if (file.Contains("labels"))
        {
            using var t = Vector("labels");
            using var l = t.To(DType.Int64);
            labels = l.ToArray<long>();
        }
        bool hasTie = file.Contains("tiebreak");
        return new DifficultyScores
        {
            Scores = ReadDoubles("scores"),
            Labels = labels,
            Kind = ScoreKindExtensions.ParseScoreKind(Need("kind"), $"{path}: metadata field 'kind'"),
            Direction = ScoreKindExtensions.ParseHardEnd(Need("direction"), $"{path}: metadata field 'direction'"),
            TieBreak = hasTie ? ReadDoubles("tiebreak") : null,
            TieBreakName = hasTie ? Need("tiebreak_name") : null,
            TieBreakDirection = hasTie ? ScoreKindExtensions.ParseHardEnd(Need("tiebreak_direction"), $"{path}: metadata field 'tiebreak_direction'") : HardEnd.High,
            Dataset = Need("dataset"),
            Source = Need("source"),
            Seconds = file.MetadataNumber("seconds"),
        };
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Kind.FileName()} scores for {Dataset} ({Count} examples, {(Direction == HardEnd.Low ? "low" : "high")} = hard, from {Source})");
}
