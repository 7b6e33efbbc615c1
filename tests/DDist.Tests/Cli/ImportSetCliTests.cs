using System.Text.Json;
using DDist.Artifacts;
using DDist.Tests.Data;
using DDist.Tests.Distillation;
using static DDist.Tests.Cli.CliRun;

namespace DDist.Tests.Cli;

/// <summary>`ddist import-set` on files PyTorch wrote: a set leaves DDist as MTT's images_best.pt / labels_best.pt and
/// comes back the same, leaves again through `ddist export-set` and comes back again, then trains networks through
/// `ddist eval`, in the normalised space and in ZCA space.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class ImportSetCliTests : IDisposable
{
    private readonly TempDir _temp = new();
    private string F(string name) => _temp.Combine(name);

    public void Dispose() => _temp.Dispose();

    [PythonTorchFact]
    public void AnMttStyleSetRoundTripsAndEvaluates()
    {
        Assert.Equal(0, Run("select", "random", "--dataset", "fashion-mnist", "--ipc", "2", "--out", F("random.safetensors")).Code);
        PythonTorch.RunScript("torch_save_files.py", "export", F("random.safetensors"), F("images_best.pt"), F("labels_best.pt"));

        var r = Run("import-set", F("images_best.pt"), "--dataset", "fashion-mnist", "--labels", F("labels_best.pt"), "--lr", "0.02",
                    "--method", "mtt", "--out", F("imported.safetensors"), "--json");
        Assert.True(r.Code == 0, r.Err);
        using (var json = JsonDocument.Parse(r.Out))
        {
            Assert.Equal(20, json.RootElement.GetProperty("images").GetInt32());
            Assert.Equal(0.02, json.RootElement.GetProperty("learnedLr").GetDouble());
        }
        using (var original = SmallSet.Load(F("random.safetensors")))
        using (var imported = SmallSet.Load(F("imported.safetensors")))
        {
            Assert.Equal(original.Images.ToArray<float>(), imported.Images.ToArray<float>());
            Assert.Equal(original.Labels.ToArray<long>(), imported.Labels.ToArray<long>());
            Assert.Equal("mtt", imported.Info.Method);
            Assert.Equal(original.Info.Normalization, imported.Info.Normalization);
        }
        // And out again as MTT/DATM's files, which come back the same (the step size as DATM keeps it, in float32).
        var exported = Run("export-set", F("imported.safetensors"), "--out", F("exported"));
        Assert.True(exported.Code == 0, exported.Err);
        Assert.Equal(0, Run("import-set", F("exported/images_best.pt"), "--dataset", "fashion-mnist", "--labels", F("exported/labels_best.pt"),
                            "--lr", F("exported/lr_best.pt"), "--out", F("again.safetensors")).Code);
        using (var imported = SmallSet.Load(F("imported.safetensors")))
        using (var again = SmallSet.Load(F("again.safetensors")))
        {
            Assert.Equal(imported.Images.ToArray<float>(), again.Images.ToArray<float>());
            Assert.Equal(imported.Labels.ToArray<long>(), again.Labels.ToArray<long>());
            Assert.Equal((float)imported.LearnedLr!.Value, (float)again.LearnedLr!.Value);
        }
        var eval = Run("eval", F("imported.safetensors"), "--protocol", "mtt", "--model", "ConvNet(width=8,depth=1)", "--epochs", "1", "--nets", "1");
        Assert.True(eval.Code == 0, eval.Err);
        Assert.Contains("test accuracy", eval.Out);

        // The same pixels declared ZCA-whitened: the set carries the training set's transform and the test set is whitened to match.
        Assert.Equal(0, Run("import-set", F("images_best.pt"), "--dataset", "fashion-mnist", "--space", "zca", "--out", F("zca.safetensors")).Code);
        using (var zca = SmallSet.Load(F("zca.safetensors")))
        {
            Assert.Equal("zca", zca.Info.Normalization);
            Assert.NotNull(zca.Zca);
        }
        Assert.Equal(0, Run("eval", F("zca.safetensors"), "--protocol", "dc", "--model", "ConvNet(width=8,depth=1)", "--epochs", "1", "--nets", "1").Code);
    }

    /// <summary>`ddist eval --hard-labels` trains a soft-label set on its classes: soft labels that name every image's
    /// next class train networks that miss the test set, its classes train ones that do not.</summary>
    [Fact]
    public void HardLabelsReplaceASetsSoftLabelsInTheEvaluation()
    {
        Assert.Equal(0, Run("select", "random", "--dataset", "fashion-mnist", "--ipc", "3", "--out", F("plain.safetensors")).Code);
        using (var plain = SmallSet.Load(F("plain.safetensors")))
        {
            var classes = plain.Labels.ToArray<long>();
            var logits = classes.SelectMany(c => Enumerable.Range(0, 10).Select(k => k == (c + 1) % 10 ? 8f : 0f)).ToArray();
            using var misleading = new SmallSet
            {
                Images = plain.Images.Alias(), Labels = plain.Labels.Alias(), IsDistilled = plain.IsDistilled, SourceIndex = plain.SourceIndex,
                SoftLabels = new SoftLabels(DDist.Torch.Tensors.FromArray(logits, classes.Length, 10), SoftLabelKind.Logits, "test: the next class"),
                Info = plain.Info,
            };
            misleading.Save(F("soft.safetensors"));
        }
        double Accuracy(params string[] extra)
        {
            var r = Run(["eval", F("soft.safetensors"), "--protocol", "dc", "--model", "ConvNet(width=8,depth=1)", "--epochs", "20", "--nets", "1", "--json", .. extra]);
            Assert.True(r.Code == 0, r.Err);
            using var json = JsonDocument.Parse(r.Out);
            Assert.Equal(extra.Length > 0, json.RootElement.GetProperty("hardLabels").GetBoolean());
            return json.RootElement.GetProperty("mean").GetDouble();
        }
        double soft = Accuracy(), hard = Accuracy("--hard-labels");
        Assert.True(soft < 0.2 && hard > soft + 0.2, $"soft {soft:P1}, hard {hard:P1}");
        AssertFails(Run("eval", F("plain.safetensors"), "--hard-labels"), "--hard-labels", "has no soft labels");
    }

    /// <summary>A set distributed as pictures (RDED's, SRe2L's ImageFolder layout): one sub-folder per class, by number
    /// or by the dataset's class name; the pixels land in the dataset's normalisation exactly.</summary>
    [Fact]
    public void AFolderOfPicturesImportsByItsClassFolders()
    {
        for (int c = 0; c < 10; c++)
            for (int k = 0; k < 2; k++)
                _temp.Write($"pictures/{(c == 3 ? "Dress" : c.ToString("D5"))}/img{k}.png", TestPng.Encode(TestPng.Pattern(28, 28, 1, 10 * c + k), 28, 28, 1));
        var r = Run("import-set", F("pictures"), "--dataset", "fashion-mnist", "--lr", "0.01", "--method", "rded", "--out", F("pictures.safetensors"));
        Assert.True(r.Code == 0, r.Err);
        using (var set = SmallSet.Load(F("pictures.safetensors")))
        {
            Assert.Equal(Enumerable.Range(0, 10).SelectMany(c => new long[] { c, c }), set.Labels.ToArray<long>().Order());
            Assert.Equal(2, set.Info.Ipc);
            Assert.Equal(0.01, set.LearnedLr);
            var expected = TestPng.Pattern(28, 28, 1, 30).Select(p => (p / 255.0 - 0.2861f) / 0.3530f).ToArray();
            int dress = Array.IndexOf(set.Labels.ToArray<long>(), 3L);   // folders sort "00000", …, "Dress": class 3's first picture
            var actual = set.Images.Select(0, dress).Flatten().ToArray<float>();
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-6);
        }
        _temp.Write("pictures/shoes/img0.png", TestPng.Encode(TestPng.Pattern(28, 28, 1, 0), 28, 28, 1));
        AssertFails(Run("import-set", F("pictures"), "--dataset", "fashion-mnist", "--out", F("bad.safetensors")),
                    "pictures/shoes: the folder is neither a class of fashion-mnist by name", "nor by number (0…9)");
        Directory.Delete(F("pictures/shoes"), recursive: true);
        _temp.Write("pictures/3/img0.png", TestPng.Encode(TestPng.Pattern(28, 28, 1, 0), 28, 28, 1));
        AssertFails(Run("import-set", F("pictures"), "--dataset", "fashion-mnist", "--out", F("bad.safetensors")), "'3' and 'Dress' are both class 3");
        AssertFails(Run("import-set", F("pictures"), "--dataset", "fashion-mnist", "--labels", F("x.pt"), "--out", F("bad.safetensors")),
                    "--labels: applies to torch.save files");
        Assert.False(File.Exists(F("bad.safetensors")));
    }

    [Fact]
    public void BadOptionsAreNamed()
    {
        AssertFails(Run("import-set", F("absent.pt"), "--dataset", "fashion-mnist", "--out", F("x.safetensors")), F("absent.pt"));
        AssertFails(Run("import-set", F("absent.pt"), "--dataset", "fashion-mnist", "--space", "lab", "--out", F("x.safetensors")), "--space lab: expected normalized, zca or pixels");
        AssertFails(Run("import-set", F("absent.pt"), "--dataset", "fashion-mnist", "--space", "zca", "--normalization", "cifar10", "--out", F("x.safetensors")),
                    "--normalization applies to --space normalized only");
        AssertFails(Run("import-set", F("absent.pt"), "--dataset", "fashion-mnist", "--normalization", "nosuch", "--out", F("x.safetensors")), "unknown normalisation 'nosuch'");
        AssertFails(Run("import-set", F("absent.pt"), "--dataset", "fashion-mnist", "--soft-labels", "probabilities", "--out", F("x.safetensors")), "--soft-labels probabilities");
        AssertFails(Run("import-set", F("absent.pt"), "--dataset", "fashion-mnist"), "--out");
        Assert.False(File.Exists(F("x.safetensors")));
    }
}
