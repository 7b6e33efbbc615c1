using System.Text.Json;
using System.Text.Json.Nodes;

namespace DDist.Reporting;

/// <summary>Reading a run's JSON result files for a report, naming the file and field when one is not what it should be.</summary>
internal static class RunFiles
{
    /// <summary>The file's JSON, or null when it does not exist.</summary>
    public static JsonNode? Read(string path)
    {
        if (!File.Exists(path)) return null;
        try { return JsonNode.Parse(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty file"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e); }
    }

    public static double Number(JsonNode node, string field, string path)
    {
        try { return node[field]?.GetValue<double>() ?? throw new InvalidDataException($"{path}: field '{field}' missing"); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        { throw new InvalidDataException($"{path}: field '{field}' is not a number", e); }
    }
}
