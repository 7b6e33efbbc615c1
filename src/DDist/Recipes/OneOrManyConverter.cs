using System.Text.Json;
using System.Text.Json.Serialization;

namespace DDist.Recipes;

/// <summary>A recipe field that takes one string or a list of them ("kind": "forgetting" or "kind": ["forgetting",
/// "learning-speed"]). One value is written back as a plain string, so a recipe that names one keeps the JSON, and the
/// identity, it had before the field took lists.</summary>
public sealed class OneOrManyConverter : JsonConverter<string[]>
{
    /// <summary>Starts the message of a value that is neither; <see cref="RecipeException.FromJson"/> names the field.</summary>
    public const string Expected = "a string or a list of strings";

    public override string[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String) return [reader.GetString()!];
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException(Expected);
        var values = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            values.Add(reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new JsonException(Expected));
        return [.. values];
    }

    public override void Write(Utf8JsonWriter writer, string[] value, JsonSerializerOptions options)
    {
        if (value.Length == 1)
        {
            writer.WriteStringValue(value[0]);
            return;
        }
        writer.WriteStartArray();
        foreach (var v in value) writer.WriteStringValue(v);
        writer.WriteEndArray();
    }
}
