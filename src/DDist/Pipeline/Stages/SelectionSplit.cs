using DDist.Data;

namespace DDist.Pipeline.Stages;

/// <summary>Where a run makes its choices (β, successive halving, the best iteration): a validation split of the
/// training set, held out of every small set, or the test set when the recipe reproduces a reference protocol.</summary>
/// <param name="Validation">The held-out images; null when choices are made on the test set.</param>
/// <param name="HeldOutIndices">Their training indices (empty without a validation split).</param>
/// <param name="ChosenOn">What every choice was made on, as every output says it.</param>
public sealed record SelectionSplit(ImageDataset? Validation, int[] HeldOutIndices, string ChosenOn) : IDisposable
{
    public IReadOnlySet<int> HeldOut { get; } = HeldOutIndices.ToHashSet();

    public void Dispose() => Validation?.Dispose();
}
