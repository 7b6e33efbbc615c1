using System.Globalization;
using DDist.Torch.IO;

namespace DDist.Selection;

/// <summary>Imports published difficulty scores (.npy, .npz with <c>scores</c> and optional <c>labels</c>, or CSV)
/// aligned to the training-set order, and checks them against the dataset.</summary>
public static class ScoreImport
{
    /// <summary>Reads a score file. <paramref name="datasetLabels"/>, when given, is the training set's labels in
    /// order: the length must match, and so must the file's own labels when it has them.</summary>
    /// <param name="kind">What the numbers are; null: C-scores, or for a DDist score file (.safetensors) the kind it
    /// records. A DDist file of another kind is refused: its numbers would be ranked the wrong way round.</param>
    /// <param name="direction">The hard end; defaults to the kind's natural one (C-score low, forgetting high).</param>
    public static DifficultyScores Load(string path, ScoreKind? kind, string dataset, IReadOnlyList<long>? datasetLabels = null, HardEnd? direction = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such score file", path);
        if (Path.GetExtension(path).Equals(".safetensors", StringComparison.OrdinalIgnoreCase))
            return ReadOwn(path, kind, dataset, datasetLabels, direction);
        var (scores, labels) = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".npy" => (Vector(Npy.Load(path), "scores"), (long[]?)null),
            ".npz" => ReadNpz(path),
            ".csv" => ReadCsv(path),
            var ext => throw new InvalidDataException($"{path}: extension '{ext}' not recognised; expected .npy, .npz, .csv or .safetensors"),
        };
        var k = kind ?? ScoreKind.CScore;
        var result = new DifficultyScores
        {
            Scores = scores,
            Labels = labels,
            Kind = k,
            Direction = direction ?? k.DefaultHardEnd(),
            Dataset = dataset,
            Source = Path.GetFullPath(path),
        };
        if (datasetLabels is not null) result.CheckAgainst(datasetLabels, path);
        return result;
    }

    /// <summary>A DDist score file keeps what it is (kind, hard end, tie-break), so an import takes all of it and only
    /// checks that it is what the caller asked for and belongs to this dataset.</summary>
    private static DifficultyScores ReadOwn(string path, ScoreKind? kind, string dataset, IReadOnlyList<long>? datasetLabels, HardEnd? direction)
    {
        var s = DifficultyScores.Load(path);
        if (kind is { } k && k != s.Kind)
            throw new InvalidDataException($"{path}: metadata field 'kind' is '{s.Kind.FileName()}', but '{k.FileName()}' scores were asked for " +
                                           "(their hard ends differ, so the ranking would be reversed); give the file's kind");
        if (direction is { } d && d != s.Direction)
            throw new InvalidDataException($"{path}: metadata field 'direction' is '{Name(s.Direction)}', but '{Name(d)}' = hard was asked for");
        if (s.Dataset != dataset)
            throw new InvalidDataException($"{path}: metadata field 'dataset' is '{s.Dataset}', expected '{dataset}'");
        var result = s with { Source = Path.GetFullPath(path) };
        if (datasetLabels is not null) result.CheckAgainst(datasetLabels, path);
        return result;
    }

    private static string Name(HardEnd end) => end == HardEnd.Low ? "low" : "high";

    private static double[] Vector(NpyArray a, string field)
    {
        if (a.Shape.Length != 1)
            throw new InvalidDataException($"{a.Source}: array '{field}' has shape ({string.Join(", ", a.Shape)}), expected one dimension (one value per training example)");
        return a.ToDoubles();
    }

    private static (double[], long[]?) ReadNpz(string path)
    {
        var arrays = Npy.LoadNpz(path);
        if (!arrays.TryGetValue("scores", out var s))
            throw new InvalidDataException($"{path}: array 'scores' missing (the file has: {string.Join(", ", arrays.Keys)})");
        var scores = Vector(s, "scores");
        long[]? labels = null;
        if (arrays.TryGetValue("labels", out var l))
        {
            if (l.DType is not (Torch.DType.Int64 or Torch.DType.Int32 or Torch.DType.UInt8))
                throw new InvalidDataException($"{path}: array 'labels' has dtype '{l.Descr}', expected integers");
            labels = Vector(l, "labels").Select(v => (long)v).ToArray();
            if (labels.Length != scores.Length)
                throw new InvalidDataException($"{path}: array 'labels' has {labels.Length} entries, 'scores' has {scores.Length}");
        }
        return (scores, labels);
    }

    /// <summary>CSV with a header row. Column <c>score</c> is required; <c>index</c> (training index, any order,
    /// each once) and <c>label</c> are optional. Without <c>index</c> the rows are in training-set order.</summary>
    private static (double[], long[]?) ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).ToArray();
        if (lines.Length < 2) throw new InvalidDataException($"{path}: expected a header row and at least one data row");
        var header = lines[0].Split(',').Select(h => h.Trim().ToLowerInvariant()).ToArray();
        int Col(string name) => Array.IndexOf(header, name);
        int sc = Col("score"), ic = Col("index"), lc = Col("label");
        if (sc < 0) throw new InvalidDataException($"{path}: header has no 'score' column (it has: {string.Join(", ", header)})");
        int n = lines.Length - 1;
        var scores = new double[n];
        var labels = lc >= 0 ? new long[n] : null;
        var seen = new bool[n];
        for (int r = 0; r < n; r++)
        {
            var cells = lines[r + 1].Split(',');
            if (cells.Length != header.Length)
                throw new InvalidDataException($"{path}: line {r + 2} has {cells.Length} cells, the header has {header.Length}");
            int at = r;
            if (ic >= 0)
            {
                if (!int.TryParse(cells[ic], NumberStyles.Integer, CultureInfo.InvariantCulture, out at) || at < 0 || at >= n)
                    throw new InvalidDataException($"{path}: line {r + 2} field 'index' is '{cells[ic].Trim()}', expected an integer in [0, {n - 1}]");
                if (seen[at]) throw new InvalidDataException($"{path}: line {r + 2} field 'index' repeats {at}");
                seen[at] = true;
            }
            if (!double.TryParse(cells[sc], NumberStyles.Float, CultureInfo.InvariantCulture, out scores[at]))
                throw new InvalidDataException($"{path}: line {r + 2} field 'score' is '{cells[sc].Trim()}', expected a number");
            if (labels is not null && !long.TryParse(cells[lc], NumberStyles.Integer, CultureInfo.InvariantCulture, out labels[at]))
                throw new InvalidDataException($"{path}: line {r + 2} field 'label' is '{cells[lc].Trim()}', expected an integer");
        }
        return (scores, labels);
    }
}
