using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DDist.Recipes;

/// <summary>evaluation.crossArchitectureLr: the step size the other architectures train with. A number fixes one for
/// every listed architecture; an object fixes one per architecture ({"AlexNet": 0.01}), and an architecture it leaves
/// out keeps the evaluation's own (for the mtt protocol the set's learned step size). A learned step size fits the
/// network it was learned through: one architecture may diverge with it while another trains best with it.</summary>
[JsonConverter(typeof(CrossArchitectureLrConverter))]
public sealed class CrossArchitectureLr
{
    /// <summary>One step size for every listed architecture (the field a number), else null.</summary>
    public double? All { get; }

    /// <summary>A step size per architecture (the field an object), in the order the recipe gives them, else null.</summary>
    public IReadOnlyList<KeyValuePair<string, double>>? ByModel { get; }

    public CrossArchitectureLr(double all) => All = all;

    public CrossArchitectureLr(IReadOnlyList<KeyValuePair<string, double>> byModel) => ByModel = byModel;

    /// <summary>The fixed step size of <paramref name="model"/>; null when it trains with the evaluation's own.</summary>
    public double? For(string model) =>
        ByModel is { } map ? map.Where(p => p.Key == model).Select(p => (double?)p.Value).FirstOrDefault() : All;

    /// <summary>Every value a finite number &gt; 0; an object not empty, naming each architecture once and only ones
    /// <paramref name="listed"/> holds (a name it lacks would silently train nothing).</summary>
    public void Check(FieldErrors e, string field, IReadOnlyCollection<string>? listed)
    {
        if (All is double lr) e.Need(double.IsFinite(lr) && lr > 0, field, Invariant($"is {lr}, expected a number > 0"));
        if (ByModel is not { } map) return;
        e.Need(map.Count > 0, field, "is an empty object; leave the field out for the evaluation's step size");
        foreach (var (model, value) in map)
        {
            e.Need(double.IsFinite(value) && value > 0, $"{field}.{model}", Invariant($"is {value}, expected a number > 0"));
            if (listed is not null)
                e.Need(listed.Contains(model), $"{field}.{model}", $"names '{model}', which field 'crossArchitectures' does not list");
        }
        foreach (var twice in map.GroupBy(p => p.Key).Where(g => g.Count() > 1))
            e.Add(field, $"names '{twice.Key}' {twice.Count()} times");
    }

    /// <summary>Reads the field as a recipe's JSON holds it (a run folder's pipeline.json), null when absent.</summary>
    public static CrossArchitectureLr? From(System.Text.Json.Nodes.JsonNode? node) =>
        node?.Deserialize<CrossArchitectureLr>(Recipe.Json);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Reads and writes <see cref="CrossArchitectureLr"/> as the recipe holds it: a number, or an object of
/// architecture name → number (written back in its order, so the recipe's identity does not change).</summary>
public sealed class CrossArchitectureLrConverter : JsonConverter<CrossArchitectureLr>
{
    /// <summary>Starts the message of a value that is neither; <see cref="RecipeException.FromJson"/> names the field.</summary>
    public const string Expected = "a number, or an object of architecture name → number";

    public override CrossArchitectureLr Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number) return new CrossArchitectureLr(reader.GetDouble());
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException(Expected);
        var map = new List<KeyValuePair<string, double>>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var model = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.Number) throw new JsonException($"{Expected} ('{model}' is not a number)");
            map.Add(new(model, reader.GetDouble()));
        }
        return new CrossArchitectureLr(map);
    }

    public override void Write(Utf8JsonWriter writer, CrossArchitectureLr value, JsonSerializerOptions options)
    {
        if (value.All is double all)
        {
            writer.WriteNumberValue(all);
            return;
        }
        writer.WriteStartObject();
        foreach (var (model, lr) in value.ByModel ?? []) writer.WriteNumber(model, lr);
        writer.WriteEndObject();
    }
}
