using DDist.Artifacts;
using DDist.Data;
using DDist.Torch;

namespace DDist.Distillation;

/// <summary>The synthetic set of SelMatch's partial update: a learnable distilled part (leaf tensor, requires grad)
/// followed by a frozen selected part (constant real images). Order as in the reference: all distilled images
/// (class-major), then all selected ones. With no frozen part this is plain MTT's synthetic set. A sliding window's
/// split becomes one through <c>WindowChoice.ToSyntheticSet</c>, beside the window selection.</summary>
public sealed class SyntheticSet : IDisposable
{
    /// <summary>Learnable images (K·cpc, C, H, W); a leaf that requires grad.</summary>
    public Tensor Distilled { get; }
    /// <summary>Constant real images (K·spc, C, H, W); never updated.</summary>
    public Tensor Frozen { get; }
    /// <summary>Labels of Distilled then Frozen.</summary>
    public Tensor Labels { get; }
    /// <summary>Per image (distilled first): the training index it came from (a distilled image's initialisation).</summary>
    public long[] SourceIndex { get; }
    public int DistilledCount { get; }
    public int FrozenCount { get; }
    public string Dataset { get; }
    public int NumClasses { get; }
    public int Ipc { get; }
    /// <summary>The ZCA whitening the images are in (the training set's; not owned), carried into every small set made
    /// from this one so it can be evaluated and drawn; null for mean/std-normalised images.</summary>
    public ZcaTransform? Zca { get; init; }

    private SyntheticSet(Tensor distilled, Tensor frozen, Tensor labels, long[] source, int cpcTotal, int spcTotal, string dataset, int classes, int ipc)
    {
        Distilled = distilled; Frozen = frozen; Labels = labels; SourceIndex = source;
        DistilledCount = cpcTotal; FrozenCount = spcTotal; Dataset = dataset; NumClasses = classes; Ipc = ipc;
    }

    public int Count => DistilledCount + FrozenCount;

    /// <summary>MTT's 'real' start: the training images a random selection holds (its source indices), every one of them
    /// distilled.</summary>
    public static SyntheticSet FromRandom(ImageDataset train, SmallSet random, int ipc)
    {
        var labels = train.Labels.ToArray<long>();
        var perClass = Enumerable.Range(0, train.NumClasses)
            .Select(c => random.SourceIndex.Where(i => labels[i] == c).Select(i => (int)i).ToArray()).ToArray();
        return FromIndices(train, perClass, perClass.Select(_ => Array.Empty<int>()).ToArray(), ipc);
    }

    /// <summary>Initialises from explicit per-class training indices (e.g. random real images for plain MTT).</summary>
    public static SyntheticSet FromIndices(ImageDataset train, IReadOnlyList<int[]> distilledPerClass, IReadOnlyList<int[]> frozenPerClass, int ipc)
    {
        var d = distilledPerClass.SelectMany(x => x).Select(i => (long)i).ToArray();
        var f = frozenPerClass.SelectMany(x => x).Select(i => (long)i).ToArray();
        if (d.Length + f.Length == 0) throw new ArgumentException("the synthetic set would be empty");
        using var scope = new TensorScope();
        Tensor Take(long[] idx, Tensor source) => idx.Length == 0
            ? Tensors.Empty([0, .. source.Shape[1..]], source.DType, source.Device)
            : source.IndexSelect(0, Tensors.FromArray(idx).To(source.Device));
        using var noGrad = Tensors.NoGrad();
        var distilled = Take(d, train.Images).Clone().DetachFromScope().RequiresGrad_();
        var frozen = Take(f, train.Images).Clone().DetachFromScope();
        var labels = Tensors.Cat([Take(d, train.Labels), Take(f, train.Labels)]).DetachFromScope();
        return new SyntheticSet(distilled, frozen, labels, [.. d, .. f],
                                d.Length, f.Length, train.Name, train.NumClasses, ipc) { Zca = train.Zca };
    }

    /// <summary>Distilled then frozen images in one tensor; differentiable with respect to Distilled.</summary>
    public Tensor Union() =>
        DistilledCount == 0 ? Frozen.Alias() : FrozenCount == 0 ? Distilled.Alias() : Tensors.Cat([Distilled, Frozen]);

    /// <summary>A detached copy as the small-set artefact (IsDistilled marks the learnable part).</summary>
    public SmallSet ToSmallSet(Tensor distilledImages, double? learnedLr, SmallSetInfo info)
    {
        using var scope = new TensorScope();
        using var noGrad = Tensors.NoGrad();
        var parts = new List<Tensor>();
        if (DistilledCount > 0) parts.Add(distilledImages.Detach());
        if (FrozenCount > 0) parts.Add(Frozen);
        var images = Tensors.Cat(parts).Contiguous().DetachFromScope();
        return new SmallSet
        {
            Images = images,
            Labels = Labels.Clone().DetachFromScope(),
            IsDistilled = Enumerable.Range(0, Count).Select(i => i < DistilledCount).ToArray(),
            SourceIndex = (long[])SourceIndex.Clone(),
            LearnedLr = learnedLr,
            Zca = Zca?.ToTensors(),
            Info = info,
        };
    }

    public void Dispose()
    {
        Distilled.Dispose();
        Frozen.Dispose();
        Labels.Dispose();
    }
}
