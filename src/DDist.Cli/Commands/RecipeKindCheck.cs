using DDist.Recipes;

namespace DDist.Cli.Commands;

/// <summary>`ddist distill --method M` reads one recipe schema per method; a recipe of another schema is refused
/// up front with both names, rather than with the other schema's unknown-field errors.</summary>
internal static class RecipeKindCheck
{
    public static void Require(string path, string method)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such recipe file", path);
        var needed = method switch
        {
            "dd" or "sld" => RecipeKind.Unrolled,
            "datm" or "tesla" => RecipeKind.SoftLabel,
            _ => RecipeKind.Pipeline,
        };
        RecipeKind actual;
        try { actual = RecipeKinds.Of(path); }
        catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e); }
        if (actual != needed)
            throw new CliException($"--method {method} needs {Describe(needed)}; {path} is {Describe(actual)}");
    }

    private static string Describe(RecipeKind k) => k switch
    {
        RecipeKind.Unrolled => "an 'unrolled' recipe (DD / SLD: a section 'unrolled')",
        RecipeKind.SoftLabel => "a soft-label recipe (DATM / TESLA: a section 'matching')",
        _ => "a pipeline recipe (SelMatch / MTT: sections experts, scores, window, distill)",
    };
}
