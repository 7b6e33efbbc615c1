using System.Text.Json;
using DDist.Data;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Distillation;

/// <summary>A validation set carved from the training set, on which a run makes every choice (β, successive halving,
/// the best iteration) without looking at the test set. The recipe runner carves it before anything is chosen and
/// removes it from the candidates of every small set (windows, the random baseline, MTT's initialisation), so no
/// network that scores a set ever trains on a validation image. Expert trajectories and forgetting scores are made
/// on the whole training set, as in the reference (MTT `buffer.py`, Toneva et al.): validation images can reach a
/// distilled set only through the experts' parameters, and validation accuracy is only used to compare candidates
/// with each other.</summary>
public static class ValidationSplit
{
    /// <returns>A new dataset (same name as <paramref name="train"/>, so evaluators accept it) and the training
    /// indices it holds.</returns>
    public static (ImageDataset Validation, int[] Indices) Carve(ImageDataset train, int perClass, IReadOnlyCollection<long> exclude, int seed)
    {
        if (perClass < 1) throw new ArgumentOutOfRangeException(nameof(perClass), $"perClass is {perClass}, expected ≥ 1");
        using var labelsCpu = train.Labels.To(DType.Int64, Device.Cpu);
        var labels = labelsCpu.ToArray<long>();
        var excluded = exclude as IReadOnlySet<long> ?? exclude.ToHashSet();
        var rng = new Random(seed);
        var chosen = new List<int>();
        for (int c = 0; c < train.NumClasses; c++)
        {
            var pool = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c && !excluded.Contains(i)).ToArray();
            if (pool.Length < perClass)
                throw new ArgumentOutOfRangeException(nameof(perClass), $"class {c} has {pool.Length} examples outside the synthetic set, {perClass} wanted for validation");
            rng.Shuffle(pool);
            chosen.AddRange(pool.Take(perClass).Order());
        }
        using var scope = new TensorScope();
        var idx = Tensors.FromArray(chosen.Select(i => (long)i).ToArray()).To(train.Images.Device);
        var validation = new ImageDataset
        {
            Name = train.Name,
            Images = train.Images.IndexSelect(0, idx).DetachFromScope(),
            Labels = train.Labels.IndexSelect(0, idx).DetachFromScope(),
            NumClasses = train.NumClasses,
            ClassNames = train.ClassNames,
        };
        return (validation, chosen.ToArray());
    }

    /// <summary>Writes which training images were held out (validation.json), so anyone can check that no small set
    /// holds one.</summary>
    public static void Record(string path, string chosenOn, int perClass, int seed, int[] indices) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new { chosen_on = chosenOn, per_class = perClass, seed, indices }));
}
