using System.Text.Json;
using System.Text.Json.Nodes;
using DDist.Recipes;
using DDist.Torch.IO;

namespace DDist.Pipeline;

/// <summary>recipe.json in an output folder: the recipe whose results the folder holds. A folder takes one recipe, of
/// whatever kind (a SelMatch/MTT run, a comparison, DD/SLD, DATM/TESLA): running another into it is refused, naming the
/// first field that differs, so no run mixes its files with another's or overwrites the record of what made them. A
/// folder holding nothing but the recipe (its run stopped before any result) takes another. Claiming also clears the
/// temporary files a killed run left behind (<see cref="AtomicFile.RemoveAbandoned"/>).</summary>
public static class FolderRecipe
{
    public const string FileName = "recipe.json";

    /// <summary>Keeps <paramref name="recipeJson"/> as the folder's recipe, unless the folder holds another one.</summary>
    /// <param name="free">Top-level fields that may differ: they only describe the experiment (description, source) or
    /// pick parts of it that are made independently (a comparison's ipcs and methods).</param>
    public static void Claim(string dir, string recipeJson, params string[] free) => Claim(dir, recipeJson, _ => false, free);

    /// <param name="noResult">Files of the folder that are no results (a run's state that records nothing made).</param>
    public static void Claim(string dir, string recipeJson, Func<string, bool> noResult, params string[] free)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, FileName);
        string? kept = File.Exists(path) ? File.ReadAllText(path) : null;
        // A folder whose recipe stopped before making anything (a dataset not found, say) is free for the corrected one.
        if (kept is not null && kept != recipeJson
            && RecipeDifference.First(Parse(path, kept), Parse(path, recipeJson), free) is { } difference && HoldsResults(dir, path, noResult))
            throw new InvalidDataException($"{path}: {dir} holds the results of another recipe ({difference}); use another --out");
        if (kept != recipeJson) AtomicFile.WriteAllText(path, recipeJson);
        // A run killed mid-write left a temporary sibling that no rename will take; the resumed run clears them.
        AtomicFile.RemoveAbandoned(dir);
    }

    /// <summary>Whether anything but the recipe file was written into the folder (empty sub-folders do not count).</summary>
    private static bool HoldsResults(string dir, string recipePath, Func<string, bool> noResult) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
                 .Any(f => Path.GetFullPath(f) != Path.GetFullPath(recipePath) && Path.GetFileName(f) != LocalRunLock.FileName && !noResult(f));

    /// <summary>Recipe text as JSON, read as recipes are (comments and trailing commas allowed).</summary>
    private static JsonNode? Parse(string path, string text)
    {
        try { return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e); }
    }
}
