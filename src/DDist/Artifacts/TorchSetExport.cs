using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Artifacts;

/// <summary>A DDist small set written as MTT's and DATM's distill.py write theirs, so their own evaluation scripts (and
/// any torch.load) take it: <c>images_best.pt</c> (N, C, H, W) float32 in the set's pixel space, <c>labels_best.pt</c>
/// (int64 classes, or DATM's float (N, K) soft labels), and <c>lr_best.pt</c> (DATM's learned step size, float32) when
/// the set learned one.</summary>
public static class TorchSetExport
{
    public const string Images = "images_best.pt", Labels = "labels_best.pt", Lr = "lr_best.pt";

    /// <summary>Writes the files into <paramref name="dir"/>; returns them, and what a reader must know that the files do not say.</summary>
    public static (IReadOnlyList<string> Files, IReadOnlyList<string> Notes) Export(SmallSet set, string dir)
    {
        Directory.CreateDirectory(dir);
        var files = new List<string>();
        var notes = new List<string>();
        void Write(string name, Tensor t)
        {
            var path = Path.Combine(dir, name);
            TorchSaveWriter.Save(path, t);
            files.Add(path);
        }
        using var scope = new TensorScope();
        Write(Images, set.Images.To(DType.Float32));
        if (set.SoftLabels is { } soft)
        {
            Write(Labels, soft.Values.To(DType.Float32));
            notes.Add(soft.Kind == SoftLabelKind.Logits
                ? "labels_best.pt holds soft labels as logits (DATM's): the target is their softmax"
                : "labels_best.pt holds soft labels as raw targets (SLD's), not logits: DATM's scripts would take their softmax");
        }
        else Write(Labels, set.Labels.To(DType.Int64));
        if (set.LearnedLr is double lr) Write(Lr, Tensors.Scalar(lr, DType.Float32));
        if (set.Steps is not null) notes.Add("the set's learned per-step step sizes (DD/SLD) have no counterpart in these files and are not written");
        notes.Add(set.Zca is not null
            ? "the images are ZCA-whitened: evaluate with the scripts' --zca (kornia's ZCA, ε 0.1, fitted on the whole training set's [0,1] pixels, as this set's)"
            : $"the images are normalised with '{set.Info.Normalization}' (the reference code's constants for {set.Info.Dataset})");
        return (files, notes);
    }
}
