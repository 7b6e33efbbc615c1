using System.Text.Json;
using DDist.Data;
using DDist.Models;
using DDist.Tests.Data;
using DDist.Tests.Distillation;
using DDist.Torch;
using DDist.Torch.IO;
using DDist.Training;
using DDist.Training.Experts;
using static DDist.Tests.Cli.CliRun;

namespace DDist.Tests.Cli;

/// <summary>`ddist import-experts`: trajectories trained by PyTorch as MTT's buffer.py writes them (an nn.Module ConvNet,
/// tests/DDist.Tests/Python/replay_buffer.py) become DDist experts value for value, score on DDist's networks as they
/// scored on PyTorch's, and stand for a recipe's own experts in its distillation (MTT and DATM); buffers of another network, malformed
/// files and runs that would mix imported and trained experts are refused by name.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class ImportExpertsCliTests : IDisposable
{
    private const string Model = "ConvNet(width=8,depth=1)";
    private const int Epochs = 3;
    private readonly TempDir _temp = new();
    private string F(string name) => _temp.Combine(name);

    public void Dispose() => _temp.Dispose();

    /// <summary>2,000 Fashion-MNIST training and 1,000 test images in DDist's normalisation, trained on by PyTorch:
    /// 3 experts × 3 epochs, two in replay_buffer_0.pt and one in replay_buffer_1.pt.</summary>
    private (ImageDataset Test, string Buffers) PyTorchBuffers()
    {
        var raw = DatasetRegistry.Load("fashion-mnist");
        var norm = DatasetRegistry.GetSpec("fashion-mnist").DefaultNormalization;
        var trainIdx = raw.Train.IndicesByClass().SelectMany(c => c.Take(200)).Select(i => (long)i).ToArray();
        var testIdx = raw.Test.IndicesByClass().SelectMany(c => c.Take(100)).Select(i => (long)i).ToArray();
        var test = ImageDataset.FromRaw(raw.Test.Subset(testIdx), norm, Device.Cpu, raw.Name);
        using (var train = ImageDataset.FromRaw(raw.Train.Subset(trainIdx), norm, Device.Cpu, raw.Name))
            SafeTensors.Save(F("data.safetensors"), new Dictionary<string, Tensor>
            {
                ["train_x"] = train.Images, ["train_y"] = train.Labels, ["test_x"] = test.Images, ["test_y"] = test.Labels,
            });
        File.WriteAllText(F("spec.json"), JsonSerializer.Serialize(new
        {
            seed = 3, experts = 3, experts_per_file = 2, epochs = Epochs, lr = 0.01, batch = 64, width = 8, depth = 1, classes = 10,
        }));
        var buffers = _temp.Combine("buffers");
        Directory.CreateDirectory(buffers);
        PythonTorch.RunScript("replay_buffer.py", F("spec.json"), F("data.safetensors"), buffers);
        return (test, buffers);
    }

    [PythonTorchFact]
    public void PyTorchReplayBuffersBecomeExpertsThatScoreAsTheyDidAndStandForARunsOwn()
    {
        var (test, buffers) = PyTorchBuffers();
        using var _ = test;
        string B(string name) => Path.Combine(buffers, name);
        var experts = F("run/experts");
        var r = Run("import-experts", B("replay_buffer_0.pt"), B("replay_buffer_1.pt"), "--dataset", "fashion-mnist", "--model", Model,
                    "--aug", "none", "--out", experts, "--json");
        Assert.True(r.Code == 0, r.Err);
        var json = JsonDocument.Parse(r.Out).RootElement;
        Assert.Equal((3, Epochs), (json.GetProperty("experts").GetInt32(), json.GetProperty("epochs").GetInt32()));
        Assert.Equal([0, 1, 0], json.GetProperty("imported").EnumerateArray().Select(e => e.GetProperty("position").GetInt32()));
        Assert.True(json.GetProperty("finalTestAccuracy").GetProperty("min").GetDouble() > 0.5, r.Out);

        // The same import again (an interrupted one, say) keeps what is there.
        var again = Run("import-experts", B("replay_buffer_0.pt"), B("replay_buffer_1.pt"), "--dataset", "fashion-mnist", "--model", Model,
                        "--aug", "none", "--out", experts, "--json");
        Assert.True(again.Code == 0, again.Err);
        Assert.Equal(3, JsonDocument.Parse(again.Out).RootElement.GetProperty("experts").GetInt32());
        Assert.Equal(3, again.Err.Split('\n').Count(l => l.Contains("kept from an earlier import")));

        // Value for value, in parameters() order; and DDist's network scores each last snapshot as PyTorch's scored it.
        var store = ExpertStore.Open(experts);
        Assert.Equal((3, Epochs), (store.Count, store.Config.Epochs));
        Assert.Equal(ExpertBufferImport.SourceText, store.Config.Source);
        var (flat, _) = SafeTensors.Load(B("flat.safetensors"));
        var pytorch = JsonDocument.Parse(File.ReadAllText(B("accuracy.json"))).RootElement.GetProperty("accuracy").EnumerateArray().Select(a => a.GetDouble()).ToArray();
        var net = ModelZoo.Create(Model, 1, 10, 28, 28);
        try
        {
            for (int j = 0; j < 3; j++)
            {
                for (int e = 0; e <= Epochs; e++)
                    using (var theta = store.ReadEpoch(j, e))
                        Assert.Equal(flat[$"expert{j}_epoch{e}"].ToArray<float>(), theta.ToArray<float>());
                using var last = store.ReadEpoch(j, Epochs);
                double ours = Trainer.Accuracy(net, last, null, test);
                Assert.True(Math.Abs(ours - pytorch[j]) <= 0.002, $"expert {j}: {ours} here, {pytorch[j]} in PyTorch");   // float32 order: a borderline image or two
            }
        }
        finally
        {
            foreach (var t in flat.Values) t.Dispose();
        }

        // A recipe run whose folder holds them distils from them: its experts stage is done, nothing is retrained.
        var before = File.ReadAllBytes(Path.Combine(experts, "expert_0000.safetensors"));
        var distill = Run("distill", Recipe("mtt.json", count: 3, Model), "--method", "mtt", "--out", F("run"));
        Assert.True(distill.Code == 0, distill.Err);
        Assert.True(File.Exists(F("run/mtt/synthetic.safetensors")));
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(experts, "expert_0000.safetensors")));

        // So does a DATM recipe (learned soft labels, from the experts' logits), whose runner trains missing experts itself.
        var datm = Run("run", DatmRecipe(), "--out", CopyOfExperts(experts, "datm-run"));
        Assert.True(datm.Code == 0, datm.Err);
        Assert.True(File.Exists(F("datm-run/datm/synthetic.safetensors")));
        Assert.Equal(before, File.ReadAllBytes(F("datm-run/experts/expert_0000.safetensors")));

        // A run that wants more experts than were imported, or another network, is refused by name; so is a second import.
        AssertFails(Run("distill", Recipe("more.json", count: 4, Model), "--method", "mtt", "--out", CopyOfExperts(experts, "more-run")), "3 imported expert(s)", "experts.count");
        AssertFails(Run("distill", Recipe("wider.json", count: 3, "ConvNet(width=16,depth=1)"), "--method", "mtt", "--out", CopyOfExperts(experts, "wide-run")),
                    "field 'config.model' is 'ConvNet(width=8,depth=1)'", "'ConvNet(width=16,depth=1)'");
        AssertFails(Run("import-experts", B("replay_buffer_1.pt"), "--dataset", "fashion-mnist", "--model", Model, "--out", experts),
                    "expert_0000.json: holds another expert than", "replay_buffer_0.pt[0]");

        // Buffers of another network, malformed buffers.
        string[] Import(string buffer, string model) => ["import-experts", B(buffer), "--dataset", "fashion-mnist", "--model", model, "--out", F($"bad-{Guid.NewGuid():N}")];
        AssertFails(Run(Import("replay_buffer_0.pt", "ConvNet(width=16,depth=1)")), "replay_buffer_0.pt: expert 0, snapshot 0, parameter 0", "[8,1,3,3]", "[16,1,3,3]");
        AssertFails(Run(Import("replay_buffer_0.pt", "ConvNet(width=8,depth=2)")), "holds 6 parameter tensors", "has 10");
        AssertFails(Run(Import("one_tensor.pt", Model)), "one_tensor.pt", "no list of experts");
        AssertFails(Run(Import("uneven.pt", Model)), "uneven.pt: expert 1 holds 3 snapshots", "4");
    }

    /// <summary>A run folder RUN holding the imported experts (RUN/experts), as a user imports them before the run.</summary>
    private string CopyOfExperts(string experts, string run)
    {
        Directory.CreateDirectory(F($"{run}/experts"));
        foreach (var file in Directory.GetFiles(experts)) File.Copy(file, Path.Combine(F($"{run}/experts"), Path.GetFileName(file)));
        return F(run);
    }

    /// <summary>A DATM recipe over the imported experts: IPC 1, 2 iterations, labels initialised from them.</summary>
    private string DatmRecipe()
    {
        var path = F("datm.json");
        File.WriteAllText(path, $$"""
        {
          "name": "imported-experts-datm", "method": "datm", "dataset": "fashion-mnist", "ipc": 1, "seed": 0,
          "experts": { "model": "{{Model}}", "count": 3, "epochs": {{Epochs}}, "lr": 0.01, "batchSize": 64, "augmentation": "none", "trainPerClass": 200 },
          "matching": { "iterations": 2, "synSteps": 2, "expertEpochs": 1, "maxStartEpoch": 2, "batchSyn": 10, "lrInit": 0.01, "dsa": false },
          "evaluation": { "protocol": "mtt", "model": "{{Model}}", "epochs": 2, "nets": 1 }
        }
        """);
        return path;
    }

    /// <summary>An MTT recipe over the imported experts' network: 1 image per class, 2 iterations.</summary>
    private string Recipe(string name, int count, string model)
    {
        var path = F(name);
        File.WriteAllText(path, $$"""
        {
          "name": "imported-experts", "description": "MTT from imported experts", "source": "test", "dataset": "fashion-mnist", "ipc": 1, "seed": 0,
          "experts": { "model": "{{model}}", "count": {{count}}, "epochs": {{Epochs}}, "lr": 0.01, "batchSize": 64, "augmentation": "none", "trainPerClass": 200 },
          "distill": { "iterations": 2, "synSteps": 2, "expertEpochs": 1, "maxStartEpoch": 2, "batchSyn": 10, "lrInit": 0.01, "checkpointEvery": 2 },
          "evaluation": { "protocol": "mtt", "model": "{{model}}", "epochs": 2, "nets": 1 },
          "compare": ["random", "mtt"]
        }
        """);
        return path;
    }
}
