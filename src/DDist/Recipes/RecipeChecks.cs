using DDist.Data;
using DDist.Models;

namespace DDist.Recipes;

/// <summary>The checks every kind of recipe makes the same way: the dataset name resolves, a model exists for the
/// dataset's images, and a number of images per class fits the dataset's smallest class.</summary>
public static class RecipeChecks
{
    /// <summary>The dataset's spec (null for an image folder, whose sizes are known only once read, or a bad name,
    /// which is reported under 'dataset').</summary>
    public static DatasetSpec? Dataset(FieldErrors e, string name, string field = "dataset")
    {
        try { return DatasetRegistry.TryGetSpec(name); }
        catch (ArgumentException ex) { e.Add(field, ex.Message); return null; }
    }

    /// <summary>The model is built once for the dataset's image shape and classes (32×32×3, 10 classes when unknown).</summary>
    public static void Model(FieldErrors e, string field, string model, DatasetSpec? spec)
    {
        try { ModelZoo.Create(model, spec?.Channels ?? 3, spec?.NumClasses ?? 10, spec?.Height ?? 32, spec?.Width ?? 32); }
        catch (ArgumentException ex) { e.Add(field, ex.Message); }
    }

    /// <summary>IPC (or any images-per-class count) against the dataset's smallest training class.</summary>
    public static void FitsSmallestClass(FieldErrors e, string field, int perClass, DatasetSpec? spec)
    {
        if (spec is not null)
            e.Need(perClass <= spec.SmallestTrainClass, field, $"is {perClass}, larger than the smallest class of {spec.Name} ({spec.SmallestTrainClass} images)");
    }
}
