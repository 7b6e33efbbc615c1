using System.Text.Json;
using DDist.Distillation;

namespace DDist.Reporting;

/// <summary>The evaluations one distillation made to choose its best iteration, read back from its distill.json for
/// the report: how the set's accuracy moved with the iterations, and which iteration was kept.</summary>
public sealed record DistillSelection(string Method, IReadOnlyList<SelectionPoint> Points, int BestIteration, string SelectedOn)
{
    /// <summary>Null when the file is absent or holds no evaluations (none made, or written before they were kept).</summary>
    public static DistillSelection? Load(string method, string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            if (!root.TryGetProperty("selection_curve", out var curve) || curve.ValueKind == JsonValueKind.Null) return null;
            var points = curve.Deserialize<SelectionPoint[]>() ?? [];
            if (points.Length == 0) return null;
            int best = root.TryGetProperty("best_iteration", out var b) ? b.GetInt32() : -1;
            string on = root.TryGetProperty("selected_on", out var s) ? s.GetString() ?? "" : "";
            return new DistillSelection(method, points, best, on);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: field 'selection_curve' is not a list of evaluations " +
                                           $"(expected [{{\"Iteration\":…,\"Mean\":…,\"Std\":…,\"Diverged\":…}}, …]): {e.Message}", e);
        }
    }
}
