using DDist.Artifacts;
using DDist.Data;
using DDist.Torch;

namespace DDist.Training;

/// <summary>What a <see cref="Trainer"/> draws minibatches from: images (N,C,H,W) and int64 labels on the
/// training device, plus optional per-image "distilled" flags that 'combined' augmentation needs, and optional
/// soft targets (N, K float) that replace the labels in the loss (soft cross-entropy −Σ_k p_k log softmax(z)_k,
/// batch mean); <see cref="Labels"/> still count training accuracy. A view: it does not own the tensors.</summary>
public sealed record TrainingSet(Tensor Images, Tensor Labels, Tensor? Distilled = null, Tensor? Targets = null)
{
    public int Count => (int)Images.Size(0);

    public static TrainingSet From(ImageDataset data) => new(data.Images, data.Labels);
}
