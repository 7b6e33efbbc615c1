using System.Text.Json.Nodes;

namespace DDist.Recipes;

/// <summary>Where two recipes (as JSON) differ, for the message that refuses an output folder made by another recipe.</summary>
public static class RecipeDifference
{
    /// <summary>The JSON path of the first field where <paramref name="stored"/> and <paramref name="wanted"/> differ, with
    /// both values ("'distill.iterations' is 200 there, 400 here"); null when they are equal. Fields whose path is named
    /// in <paramref name="ignore"/> ("description", "evaluation.crossArchitectures") are not compared.</summary>
    public static string? First(JsonNode? stored, JsonNode? wanted, params string[] ignore) => First(stored, wanted, "", ignore);

    private static string? First(JsonNode? stored, JsonNode? wanted, string at, string[] ignore)
    {
        if (stored is JsonObject a && wanted is JsonObject b)
        {
            foreach (var key in a.Select(p => p.Key).Union(b.Select(p => p.Key)))
            {
                var path = at.Length == 0 ? key : $"{at}.{key}";
                if (!ignore.Contains(path) && First(a[key], b[key], path, ignore) is { } difference) return difference;
            }
            return null;
        }
        return JsonNode.DeepEquals(stored, wanted) || SameGradient(at, stored, wanted) ? null
            : $"'{at}' is {stored?.ToJsonString() ?? "absent"} there, {wanted?.ToJsonString() ?? "absent"} here";
    }

    /// <summary>Full unrolling and exact recomputation differentiate the same loss to the same gradient (up to float
    /// round-off) and share checkpoints, so a run may move from one to the other — after running out of memory, say —
    /// and stay the same experiment; an absent field is one of them too (its default). TESLA's approximation is another.</summary>
    private static bool SameGradient(string path, JsonNode? stored, JsonNode? wanted) =>
        (path == "unroll" || path.EndsWith(".unroll", StringComparison.Ordinal)) && ExactGradient(stored) && ExactGradient(wanted);

    private static bool ExactGradient(JsonNode? value) =>
        value is null || value is JsonValue v && v.TryGetValue<string>(out var text)
            && Distillation.Unrolling.UnrollModes.TryParse(text, out var mode) && Distillation.Unrolling.UnrollModes.IsExact(mode);
}
