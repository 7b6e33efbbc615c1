using DDist.Artifacts;
using DDist.Data;
using DDist.Tests.Data;
using DDist.Tests.Distillation;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Tests.Artifacts;

/// <summary>torch.save files written by PyTorch itself (tests/DDist.Tests/Python/torch_save_files.py) read back value
/// for value, and imported as small sets: the layouts MTT, DATM and DC write, views, narrow dtypes, the legacy format,
/// normalisation conversion, ZCA, and bad files named.</summary>
public sealed class TorchSetImportTests(TorchSaveFixtures files) : IClassFixture<TorchSaveFixtures>
{
    private string F(string name) => files.Path(name);

    /// <summary>A 4-class, 3×4×4 dataset named cifar10, so its normalisation is CIFAR-10's constants.</summary>
    private static RawDataset Dataset()
    {
        var rng = new Random(3);
        RawImageSet Split(int n)
        {
            var pixels = new byte[n * 48];
            rng.NextBytes(pixels);
            return new RawImageSet(pixels, Enumerable.Range(0, n).Select(i => i % 4).ToArray(), n, 3, 4, 4, ["a", "b", "c", "d"]);
        }
        return new RawDataset("cifar10", Split(80), Split(20), "memory");
    }

    private SmallSet Import(string images, string? labels = null, ImportedSpace space = ImportedSpace.Normalized, int? experiment = null, Normalization? from = null) =>
        TorchSetImport.Import(new SetImportRequest { ImagesPath = F(images), LabelsPath = labels is null ? null : F(labels), Space = space, Experiment = experiment, SourceNormalization = from },
                              Dataset(), () => ZcaTransform.Fit(Dataset().Train));

    private float[] Expected(string npy) => Npy.Load(F(npy)).ToDoubles().Select(v => (float)v).ToArray();

    [PythonTorchTheory]
    [InlineData("images_best.pt", "images.npy")]
    [InlineData("transposed.pt", "transposed.npy")]
    [InlineData("offset.pt", "offset.npy")]
    [InlineData("half.pt", "half.npy")]
    [InlineData("bfloat16.pt", "bfloat16.npy")]
    [InlineData("parameter.pt", "images.npy")]
    [InlineData("cuda.pt", "images.npy")]
    public void EveryStorageAndViewReadsAsPyTorchHoldsIt(string file, string expected)
    {
        var t = Assert.IsType<PickledTensor>(TorchSaveFile.Load(F(file)));
        Assert.Equal([8, 3, 4, 4], t.Shape);
        Assert.Equal(DType.Float32, t.DType);
        Assert.Equal(Expected(expected), t.ToDoubles().Select(v => (float)v).ToArray());
    }

    /// <summary>A set saved from GPU tensors (storages tagged 'cuda:0', which torch.load refuses on a machine without
    /// CUDA unless mapped to the CPU) imports on the CPU with the same pixels.</summary>
    [PythonTorchFact]
    public void ASetSavedFromGpuTensorsImportsOnTheCpu()
    {
        using (var zip = System.IO.Compression.ZipFile.OpenRead(F("cuda.pt")))
        using (var pickle = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)).Open(), System.Text.Encoding.Latin1))
            Assert.Contains("cuda:0", pickle.ReadToEnd());
        using var set = Import("cuda.pt", "labels_best.pt");
        Assert.Equal(Expected("images.npy"), set.Images.ToArray<float>());
        Assert.Equal(Npy.Load(F("labels.npy")).ToLongs(), set.Labels.ToArray<long>());
    }

    [PythonTorchFact]
    public void AnMttDirectoryImportsWithItsLabelsAndStepSize()
    {
        using var set = Import("images_best.pt", "labels_best.pt");
        Assert.Equal(Expected("images.npy"), set.Images.ToArray<float>());
        Assert.Equal(Npy.Load(F("labels.npy")).ToLongs(), set.Labels.ToArray<long>());
        Assert.All(set.IsDistilled, Assert.True);
        Assert.Equal("cifar10", set.Info.Normalization);
        Assert.Equal(2, set.Info.Ipc);
        Assert.Equal(0.0123f, (float)TorchSetImport.StepSizeFrom(F("lr_best.pt")));
        // Round trip through DDist's own artefact.
        set.Save(F("imported.safetensors"));
        using var back = SmallSet.Load(F("imported.safetensors"));
        Assert.Equal(set.Digest(), back.Digest());
    }

    [PythonTorchFact]
    public void DatmSoftLabelsAreKeptAsLogitsAndNameEachImagesClassByTheirArgmax()
    {
        using var set = Import("images_best.pt", "soft_labels.pt");
        var soft = Expected("soft_labels.npy");
        Assert.Equal(soft, set.SoftLabels!.Values.ToArray<float>());
        Assert.Equal(SoftLabelKind.Logits, set.SoftLabels.Kind);
        var labels = set.Labels.ToArray<long>();
        for (int i = 0; i < 8; i++)
            Assert.Equal(soft.Skip(4 * i).Take(4).Max(), soft[4 * i + (int)labels[i]]);
    }

    [PythonTorchFact]
    public void ALegacyDcResultFileGivesTheChosenExperimentsSetAndLabels()
    {
        using var first = Import("res_DC.pt", experiment: 0);
        using var second = Import("res_DC.pt", experiment: 1);
        Assert.Equal(Expected("images.npy"), first.Images.ToArray<float>());
        Assert.Equal(Expected("doubled.npy"), second.Images.ToArray<float>());
        Assert.Equal(Npy.Load(F("blocks.npy")).ToLongs(), second.Labels.ToArray<long>());
        Assert.Contains("data[1] of 2", second.Info.Parameters["layout"]);
        var e = Assert.Throws<InvalidDataException>(() => Import("res_DC.pt"));
        Assert.Contains("holds 2 experiments' sets; choose one with --experiment 0…1", e.Message);
        Assert.Contains(F("res_DC.pt"), e.Message);
    }

    [PythonTorchFact]
    public void WithoutLabelsTheClassOrderedBlocksOfMttAndDcAreUsedAndSaid()
    {
        using var set = Import("images_best.pt");
        Assert.Equal(Npy.Load(F("blocks.npy")).ToLongs(), set.Labels.ToArray<long>());
        Assert.Contains("class-ordered blocks of 2", set.Info.Parameters["labels"]);
        using var pair = Import("pair.pt");
        Assert.Equal(Npy.Load(F("labels.npy")).ToLongs(), pair.Labels.ToArray<long>());
    }

    [PythonTorchFact]
    public void ImagesInAnotherNormalisationAreReExpressedInTheDatasetsOwn()
    {
        using var set = Import("images_best.pt", from: Normalization.Cifar100Dc);
        Assert.Equal(Expected("converted.npy"), set.Images.ToArray<float>());
        Assert.Equal("cifar100-dc", set.Info.Parameters["source_normalization"]);
        using var pixels = Import("images_best.pt", space: ImportedSpace.Pixels);
        var x = Expected("images.npy");
        var y = pixels.Images.ToArray<float>();
        for (int i = 0; i < x.Length; i++)
        {
            int c = i / 16 % 3;
            Assert.Equal((x[i] - (double)Normalization.Cifar10.Mean[c]) / Normalization.Cifar10.Std[c], y[i], 5e-6);
        }
    }

    [PythonTorchFact]
    public void AZcaSetCarriesTheTrainingSetsTransformAndKeepsItsPixels()
    {
        using var set = Import("images_best.pt", space: ImportedSpace.Zca);
        Assert.Equal("zca", set.Info.Normalization);
        Assert.Equal(Expected("images.npy"), set.Images.ToArray<float>());
        using var fit = ZcaTransform.Fit(Dataset().Train);
        using var carried = ZcaTransform.FromTensors(set.Zca!);
        Assert.Equal(fit.Matrix.ToArray<float>(), carried.Matrix.ToArray<float>());
    }

    [PythonTorchFact]
    public void BadFilesAreNamedWithWhatWasExpected()
    {
        void Fails(Action a, params string[] mentions)
        {
            var e = Assert.Throws<InvalidDataException>(a);
            foreach (var m in mentions) Assert.Contains(m, e.Message);
        }
        var bytes = File.ReadAllBytes(F("images_best.pt"));
        File.WriteAllBytes(F("truncated.pt"), bytes[..(bytes.Length / 2)]);
        Fails(() => TorchSaveFile.Load(F("truncated.pt")), F("truncated.pt"), "not a readable torch.save file");
        File.WriteAllText(F("text.pt"), "hello");
        Fails(() => TorchSaveFile.Load(F("text.pt")), F("text.pt"), "neither as a zip archive");
        var legacy = File.ReadAllBytes(F("res_DC.pt"));
        File.WriteAllBytes(F("legacy-truncated.pt"), legacy[..(legacy.Length - 100)]);
        Fails(() => TorchSaveFile.Load(F("legacy-truncated.pt")), F("legacy-truncated.pt"));
        Fails(() => Import("labels_best.pt"), F("labels_best.pt"), "expected floating-point pixels");
        Fails(() => Import("images_best.pt", "labels_out_of_range.pt"), F("labels_out_of_range.pt"), "expected whole classes in [0, 4)");
        Fails(() => Import("images_best.pt", "blocks.npy"), F("blocks.npy"), "not a torch.save file");
        Fails(() => Import("dict.pt"), F("dict.pt"), "a dict with keys", "'images'", "expected a tensor of images");
        Fails(() => Import("nan.pt"), F("nan.pt"), "image 3 holds NaN or infinite pixels");
        Fails(() => Import("images_best.pt", experiment: 1), "--experiment applies to DC's result files");
        Fails(() => TorchSetImport.StepSizeFrom(F("images_best.pt")), "expected one floating-point number");
        var other = Dataset() with { Train = Dataset().Train with { Height = 5, Pixels = new byte[80 * 60] } };
        Fails(() => TorchSetImport.Import(new SetImportRequest { ImagesPath = F("images_best.pt") }, other, () => throw new InvalidOperationException()),
              "images are [8,3,4,4], expected [N,3,5,4] for cifar10");
    }
}

/// <summary>The files, written once for the class by PyTorch (where Python with torch is installed). DDIST_TORCH_FIXTURES
/// names a folder of them written by another PyTorch (`torch_save_files.py fixtures DIR` under PyTorch 2.x), which the
/// same tests then read instead.</summary>
public sealed class TorchSaveFixtures : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly string _dir;

    public TorchSaveFixtures()
    {
        _dir = Environment.GetEnvironmentVariable("DDIST_TORCH_FIXTURES") is { Length: > 0 } given ? given : _temp.Path;
        if (_dir == _temp.Path && PythonTorch.WhyUnavailable is null) PythonTorch.RunScript("torch_save_files.py", "fixtures", _dir);
    }

    public string Path(string name) => System.IO.Path.Combine(_dir, name);

    public void Dispose() => _temp.Dispose();
}
