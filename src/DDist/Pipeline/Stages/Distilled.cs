using DDist.Artifacts;
using DDist.Distillation;

namespace DDist.Pipeline.Stages;

/// <summary>A distilled set with what the evaluation and the report need, fresh from a run or read back from its folder.</summary>
public sealed record Distilled(SmallSet Set, IReadOnlyList<LossPoint> Curve, int BestIteration) : IDisposable
{
    public static Distilled Load(string dir)
    {
        var set = SmallSet.Load(Path.Combine(dir, "synthetic.safetensors"));
        var curve = LossCurve.Load(Path.Combine(dir, "loss.json"));
        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "distill.json")));
        int best = summary.RootElement.TryGetProperty("best_iteration", out var b) ? b.GetInt32() : -1;
        return new Distilled(set, curve, best);
    }

    public void Dispose() => Set.Dispose();
}
