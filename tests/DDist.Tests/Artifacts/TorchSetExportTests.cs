using DDist.Artifacts;
using DDist.Tests.Data;
using DDist.Tests.Distillation;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Tests.Artifacts;

/// <summary>`ddist export-set`'s files: read back by our reader, and by PyTorch's own torch.load(weights_only=True).</summary>
public sealed class TorchSetExportTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    private static SmallSet Set(bool soft)
    {
        var rng = new Random(5);
        var pixels = Enumerable.Range(0, 6 * 3 * 4 * 4).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var logits = Enumerable.Range(0, 6 * 3).Select(_ => (float)rng.NextDouble()).ToArray();
        return new SmallSet
        {
            Images = Tensors.FromArray(pixels, 6, 3, 4, 4), Labels = Tensors.FromArray(new long[] { 0, 0, 1, 1, 2, 2 }),
            IsDistilled = [true, true, true, true, true, true], SourceIndex = [-1, -1, -1, -1, -1, -1], LearnedLr = 0.0125,
            SoftLabels = soft ? new SoftLabels(Tensors.FromArray(logits, 6, 3), SoftLabelKind.Logits, "test") : null,
            Info = new SmallSetInfo { Dataset = "cifar10", Normalization = "cifar10", Method = "mtt", Ipc = 2, NumClasses = 3 },
        };
    }

    [Fact]
    public void TheFilesReadBackAsTheSetHoldsThem()
    {
        using var set = Set(soft: false);
        var (files, notes) = TorchSetExport.Export(set, _temp.Path);
        Assert.Equal(3, files.Count);
        var images = Assert.IsType<PickledTensor>(TorchSaveFile.Load(_temp.Combine(TorchSetExport.Images)));
        Assert.Equal([6, 3, 4, 4], images.Shape);
        Assert.Equal(set.Images.ToArray<float>(), images.ToDoubles().Select(v => (float)v).ToArray());
        var labels = Assert.IsType<PickledTensor>(TorchSaveFile.Load(_temp.Combine(TorchSetExport.Labels)));
        Assert.Equal(DType.Int64, labels.DType);
        Assert.Equal([0, 0, 1, 1, 2, 2], labels.ToDoubles().Select(v => (long)v).ToArray());
        Assert.Equal(0.0125f, (float)TorchSetImport.StepSizeFrom(_temp.Combine(TorchSetExport.Lr)));
        Assert.Contains(notes, n => n.Contains("normalised with 'cifar10'"));
    }

    [PythonTorchFact]
    public void PyTorchLoadsThemWithWeightsOnly()
    {
        using var set = Set(soft: true);
        var (_, notes) = TorchSetExport.Export(set, _temp.Path);
        Assert.Contains(notes, n => n.Contains("logits"));
        PythonTorch.RunScript("torch_save_files.py", "load", _temp.Path);
        Assert.Equal(set.Images.ToArray<float>(), Npy.Load(_temp.Combine("images_best.npy")).ToDoubles().Select(v => (float)v).ToArray());
        Assert.Equal(set.SoftLabels!.Values.ToArray<float>(), Npy.Load(_temp.Combine("labels_best.npy")).ToDoubles().Select(v => (float)v).ToArray());
        var lr = Npy.Load(_temp.Combine("lr_best.npy"));
        Assert.Empty(lr.Shape);
        Assert.Equal(0.0125f, (float)lr.ToDoubles()[0]);
    }
}
