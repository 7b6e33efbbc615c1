using System.Text.Json;
using DDist.Distillation;

namespace DDist.Reporting;

/// <summary>The evaluations one distillation made to choose its best iteration, read back from its distill.json for
/// the report: how the set's accuracy moved with the iterations, and which iteration was kept (and, for a run that
/// kept FTD's moving average beside the images, whether the average was).</summary>
public sealed record DistillSelection(string Method, IReadOnlyList<SelectionPoint> Points, int BestIteration, string SelectedOn,
                                      bool KeptAverage = false)
{
    /// <summary>The report's columns: the images' evaluations, and the average's as a column of its own where any.</summary>
    public IEnumerable<(string Title, bool Average)> Series() =>
        Points.Any(p => p.Average) ? [(Method, false), ($"{Method} (moving average)", true)] : [(Method, false)];

    /// <summary>Null when the file is absent or holds no evaluations (none made, or written before they were kept).</summary>
    public static DistillSelection? Load(string method, string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            if (!root.TryGetProperty("selection_curve", out var curve) || curve.ValueKind == JsonValueKind.Null) return null;
            var points = Field(path, "selection_curve", "a list of evaluations (expected [{\"Iteration\":…,\"Mean\":…,\"Std\":…,\"Diverged\":…}, …])",
                               () => curve.Deserialize<SelectionPoint[]>() ?? []);
            if (points.Length == 0) return null;
            int best = root.TryGetProperty("best_iteration", out var b) ? Field(path, "best_iteration", "an iteration number", b.GetInt32) : -1;
            string on = root.TryGetProperty("selected_on", out var s) ? Field(path, "selected_on", "a text", () => s.GetString() ?? "") : "";
            bool average = root.TryGetProperty("kept_average", out var k) && Field(path, "kept_average", "true or false", k.GetBoolean);
            return new DistillSelection(method, points, best, on, average);
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e); }
    }

    /// <summary>Reads one field, naming it when its value is not what it should be.</summary>
    private static T Field<T>(string path, string field, string expected, Func<T> read)
    {
        try { return read(); }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: field '{field}' is not {expected}: {e.Message}", e);
        }
    }
}
