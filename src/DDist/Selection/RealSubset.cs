using DDist.Artifacts;
using DDist.Data;
using DDist.Torch;

namespace DDist.Selection;

/// <summary>Builds a <see cref="SmallSet"/> of real training images from training indices.</summary>
public static class RealSubset
{
    /// <summary>The images at <paramref name="indices"/>, in that order, copied out of <paramref name="train"/>;
    /// none is marked distilled and each keeps its training index as SourceIndex.</summary>
    public static SmallSet Build(ImageDataset train, IReadOnlyList<int> indices, SmallSetInfo info)
    {
        if (indices.Count == 0) throw new ArgumentException("a small set needs at least one image", nameof(indices));
        foreach (var i in indices)
            if (i < 0 || i >= train.Count) throw new ArgumentOutOfRangeException(nameof(indices), $"index {i} outside the {train.Count} training images of '{train.Name}'");
        using var idx = Tensors.FromArray(indices.Select(i => (long)i).ToArray());
        using var onDevice = idx.To(train.Images.Device);
        var images = train.Images.IndexSelect(0, onDevice).DetachFromScope();
        var labels = train.Labels.IndexSelect(0, onDevice).DetachFromScope();
        return new SmallSet
        {
            Images = images,
            Labels = labels,
            IsDistilled = new bool[indices.Count],
            SourceIndex = indices.Select(i => (long)i).ToArray(),
            // Real images of a whitened set are whitened too: the set carries the transform, as every set made in ZCA space.
            Zca = train.Zca?.ToTensors(),
            Info = info,
        };
    }

    /// <summary>A window as a pure selection (all images real), class-major and hardest first within each class.</summary>
    public static SmallSet FromWindow(ImageDataset train, WindowChoice window, SmallSetInfo info) =>
        Build(train, window.AllIndices(), info);
}
