using DDist.Recipes;
using DDist.Torch.IO;

namespace DDist.Cli.Commands;

/// <summary>`ddist distill --method M` reads one recipe schema per method; a recipe of another schema is refused
/// up front with both names, rather than with the other schema's unknown-field errors.</summary>
internal static class RecipeKindCheck
{
    public static void Require(string path, string method)
    {
        var needed = method switch
        {
            "dd" or "sld" => RecipeKind.Unrolled,
            "datm" or "tesla" => RecipeKind.SoftLabel,
            _ => RecipeKind.Pipeline,
        };
        var actual = Of(path);
        if (actual != needed)
            throw new CliException($"--method {method} needs {Describe(needed)}; {path} is {Describe(actual)}");
    }

    /// <summary>The recipe's schema, from its sections; a missing file or invalid JSON is an error naming the file.</summary>
    public static RecipeKind Of(string path)
    {
        InputFile.Require(path, "recipe file");
        try { return RecipeKinds.Of(path); }
        catch (System.Text.Json.JsonException e) { throw RecipeException.FromJson(path, e); }
    }

    private static string Describe(RecipeKind k) => k switch
    {
        RecipeKind.Unrolled => "an 'unrolled' recipe (DD / SLD: a section 'unrolled')",
        RecipeKind.SoftLabel => "a soft-label recipe (DATM / TESLA: a section 'matching')",
        _ => "a pipeline recipe (SelMatch / MTT: sections experts, scores, window, distill)",
    };
}
