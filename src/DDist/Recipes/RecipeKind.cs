using System.Text.Json;

namespace DDist.Recipes;

/// <summary>Which schema a recipe file follows, told by its sections: "unrolled" (DD / soft-label DD,
/// <see cref="UnrolledRecipe"/>), "matching" (DATM / TESLA labels, <see cref="SoftLabelRecipe"/>), otherwise the
/// SelMatch pipeline's <see cref="Recipe"/>.</summary>
public enum RecipeKind { Pipeline, Unrolled, SoftLabel }

public static class RecipeKinds
{
    public static RecipeKind Of(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (doc.RootElement.ValueKind != JsonValueKind.Object) return RecipeKind.Pipeline;
        if (doc.RootElement.TryGetProperty("unrolled", out _)) return RecipeKind.Unrolled;
        if (doc.RootElement.TryGetProperty("matching", out _)) return RecipeKind.SoftLabel;
        return RecipeKind.Pipeline;
    }
}
