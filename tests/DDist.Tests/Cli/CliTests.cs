using System.Text.Json;
using DDist.Artifacts;
using DDist.Models;
using DDist.Torch;
using DDist.Tests.Data;
using static DDist.Tests.Cli.CliRun;

namespace DDist.Tests.Cli;

/// <summary>The `ddist` entry point run in-process. Serial: commands set libtorch's thread count and seed.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class CliTests : IDisposable
{
    private readonly TempDir _temp = new();
    private string _dir => _temp.Path;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void UnknownDatasetIsNamed() => AssertFails(Run("models", "--dataset", "nosuchset"), "unknown dataset 'nosuchset'");

    [Fact]
    public void UnknownModelIsNamed() =>
        AssertFails(Run("experts", "--dataset", "fashion-mnist", "--model", "NoSuchNet", "--out", Path.Combine(_dir, "e")), "NoSuchNet");

    [Fact]
    public void MissingSetFileIsNamed()
    {
        var path = Path.Combine(_dir, "absent.safetensors");
        AssertFails(Run("eval", path), path);
    }

    [Fact]
    public void FileThatIsNotASmallSetIsNamed()
    {
        var path = Path.Combine(_dir, "junk.safetensors");
        File.WriteAllText(path, "not a safetensors file");
        AssertFails(Run("eval", path), path);
    }

    /// <summary>A set that names no dataset, or does not fit the one it names, is bad data in its file: refused
    /// before any network trains (exit 65), naming the file.</summary>
    [Fact]
    public void ASetThatDoesNotFitItsDatasetIsRefusedBeforeTraining()
    {
        foreach (var (dataset, size, expected) in new[] { ("nosuchset", 28L, "'nosuchset'"), ("fashion-mnist", 32L, "images are [2,1,32,32]") })
        {
            var path = Path.Combine(_dir, $"{dataset}-{size}.safetensors");
            using (var set = new SmallSet
            {
                Images = Tensors.Zeros([2, 1, size, size]), Labels = Tensors.FromArray(new long[] { 0, 1 }), IsDistilled = [false, false], SourceIndex = [0, 1],
                Info = new SmallSetInfo { Dataset = dataset, Normalization = "fashion-mnist-dc", Method = "random", Ipc = 1, NumClasses = 10 },
            }) set.Save(path);
            var r = Run("eval", path, "--protocol", "dc", "--model", "ConvNet(width=8,depth=1)", "--epochs", "1", "--nets", "1");
            Assert.Equal(DDist.Cli.ExitCodes.DataError, r.Code);
            Assert.Contains($"{path}: ", r.Err);
            Assert.Contains(expected, r.Err);
            Assert.DoesNotContain("networks]", r.Err);   // no training began
        }
    }

    [Fact]
    public void InconsistentOptionsAreRejected()
    {
        var shard = Run("experts", "--dataset", "fashion-mnist", "--shard", "3/2", "--out", Path.Combine(_dir, "e"));
        AssertFails(shard, "--shard: shard '3/2'");
        Assert.Equal(DDist.Cli.ExitCodes.UsageError, shard.Code);   // an option, not a file's content
        AssertFails(Run("experts", "--dataset", "fashion-mnist"), "--out");
        AssertFails(Run("experts", "--dataset", "fashion-mnist", "--gsam-alpha", "0.2", "--out", Path.Combine(_dir, "e")), "--gsam-alpha and --gsam-plain need --gsam-rho");
        AssertFails(Run("experts", "--dataset", "fashion-mnist", "--gsam-rho", "-1", "--out", Path.Combine(_dir, "e")), "--gsam-rho: GSAM's rho must be a positive number");
        AssertFails(Run("experts", "--dataset", "fashion-mnist", "--preset", "ftd", "--out", Path.Combine(_dir, "e")), "expected sel, mtt or datm");
        AssertFails(Run("models", "--dataset", "fashion-mnist", "--device", "tpu"), "tpu");
        AssertFails(Run("select", "random", "--dataset", "fashion-mnist", "--ipc", "0", "--out", Path.Combine(_dir, "s.safetensors")), "--ipc 0");
        Assert.NotEqual(0, Run("eval").Code);   // missing SET argument: a parse error
    }

    /// <summary>`--preset datm` trains DATM's experts (GSAM over SGD, FTD's flat trajectories) and the GSAM options
    /// change the preset's: the expert's metadata records what it was trained with, and a second run asking for
    /// other GSAM settings in the same folder is refused naming them.</summary>
    [Fact]
    public void ExpertsTrainWithGsamFromThePresetOrTheOptions()
    {
        var dir = Path.Combine(_dir, "gsam");
        var r = Run("experts", "--dataset", "fashion-mnist", "--preset", "datm", "--gsam-plain", "--aug", "none", "--model", "ConvNet(width=4,depth=1)",
                    "--num", "1", "--epochs", "1", "--batch", "1024", "--no-test", "--out", dir);
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("lr 0.01, GSAM ρ 0.01, α 0.3, batch 1024", r.Err + r.Out);
        var config = DDist.Training.Experts.ExpertMetadata.Load(Path.Combine(dir, "expert_0000.json")).Config;
        Assert.Equal((1, "none", new DDist.Training.SharpnessAware { Rho = 0.01, Alpha = 0.3, Adaptive = false }), (config.Epochs, config.Augmentation, config.Sharpness));
        AssertFails(Run("experts", "--dataset", "fashion-mnist", "--preset", "datm", "--gsam-rho", "0.05", "--aug", "none", "--model", "ConvNet(width=4,depth=1)",
                        "--num", "1", "--epochs", "1", "--batch", "1024", "--no-test", "--out", dir), "sharpness: {\"rho\":0.01,\"alpha\":0.3,\"adaptive\":false} vs {\"rho\":0.05,\"alpha\":0.3,\"adaptive\":true}");
    }

    /// <summary>An empty value (an unset shell variable) is a usage error naming the option or argument, on every
    /// command: it used to reach .NET as an empty path ("The value cannot be an empty string") or be looked for as a file
    /// named "".</summary>
    [Fact]
    public void AnEmptyValueIsRefusedNamingTheOption()
    {
        foreach (var (args, named) in new (string[], string)[]
                 {
                     (["run", "recipes/fashion-mnist-ipc10-demo.json", "--out", ""], "--out: the value is empty"),
                     (["select", "random", "--dataset", "mnist", "--ipc", "1", "-o", ""], "--out: the value is empty"),
                     (["eval", ""], "SET: the value is empty"),
                     (["models", "--dataset", "mnist", "--device", ""], "--device: the value is empty"),
                     (["data", "fetch", "mnist", "--from", ""], "--from: the value is empty"),
                 })
        {
            var r = Run(args);
            Assert.Equal(DDist.Cli.ExitCodes.UsageError, r.Code);
            Assert.Contains(named, r.Err);
            Assert.DoesNotContain("Parameter 'path'", r.Err);
        }
    }

    [Fact]
    public void ANegativeSeedWrapsTo64BitsAsARecipesDoes()
    {
        // A recipe's "seed": -1 is the run seed 2^64 - 1; --seed -1 is the same seed, not a parse error.
        string wrapped = Path.Combine(_dir, "wrapped.safetensors"), negative = Path.Combine(_dir, "negative.safetensors");
        var a = Run("select", "random", "--dataset", "fashion-mnist", "--ipc", "2", "--seed", "18446744073709551615", "--out", wrapped);
        var b = Run("select", "random", "--dataset", "fashion-mnist", "--ipc", "2", "--seed", "-1", "--out", negative);
        Assert.True(a.Code == 0 && b.Code == 0, a.Err + b.Err);
        (ulong Seed, long[] Picks) Picked(string path)
        {
            using var set = DDist.Artifacts.SmallSet.Load(path);
            return (set.Info.Seed, set.SourceIndex);
        }
        Assert.Equal(ulong.MaxValue, Picked(negative).Seed);
        Assert.Equal(Picked(wrapped).Picks, Picked(negative).Picks);
        var other = Path.Combine(_dir, "other.safetensors");
        Assert.Equal(0, Run("select", "random", "--dataset", "fashion-mnist", "--ipc", "2", "--seed", "-2", "--out", other).Code);
        Assert.NotEqual(Picked(wrapped).Picks, Picked(other).Picks);

        var bad = Run("select", "random", "--dataset", "fashion-mnist", "--ipc", "2", "--seed", "1.5", "--out", other);
        AssertFails(bad, "--seed 1.5: expected an integer");
        Assert.Equal(DDist.Cli.ExitCodes.UsageError, bad.Code);
        AssertFails(Run("select", "random", "--dataset", "fashion-mnist", "--ipc", "2", "--seed", "18446744073709551616", "--out", other), "--seed 18446744073709551616");
    }

    [Fact]
    public void ModelsListsParameterCountsAsJson()
    {
        var (code, output, _) = Run("models", "--dataset", "fashion-mnist", "--json");
        Assert.Equal(0, code);
        var rows = JsonDocument.Parse(output).RootElement.GetProperty("models").EnumerateArray().ToArray();
        Assert.Equal(ModelZoo.Names.Count, rows.Length);
        var convNet = rows.Single(m => m.GetProperty("name").GetString() == "ConvNet");
        Assert.Equal(ModelZoo.Create("ConvNet", 1, 10, 28, 28).ParameterCount, convNet.GetProperty("parameters").GetInt64());
        // Models that do not fit 28×28 carry the reason instead of a count.
        var tooDeep = rows.Single(m => m.GetProperty("name").GetString() == "ConvNetD8");
        Assert.False(tooDeep.TryGetProperty("parameters", out _));
        Assert.Contains("too small", tooDeep.GetProperty("error").GetString());
    }

    [Fact]
    public void SelectRandomThenEvaluate()
    {
        var set = Path.Combine(_dir, "random2.safetensors");
        var select = Run("select", "random", "--dataset", "fashion-mnist", "--ipc", "2", "--seed", "4", "--out", set);
        Assert.True(select.Code == 0, select.Err);
        Assert.True(File.Exists(set) && File.Exists(Path.ChangeExtension(set, ".json")));

        var eval = Run("eval", set, "--protocol", "dc", "--model", "ConvNet(width=8,depth=1)", "--epochs", "1", "--nets", "2", "--json");
        Assert.True(eval.Code == 0, eval.Err);
        var json = JsonDocument.Parse(eval.Out).RootElement;
        Assert.Equal(2, json.GetProperty("accuracies").GetArrayLength());
        Assert.InRange(json.GetProperty("mean").GetDouble(), 0.0, 1.0);
        Assert.Equal("dc", json.GetProperty("protocol").GetProperty("name").GetString());
        Assert.Equal(2, json.GetProperty("protocol").GetProperty("trainedEpochs").GetInt32());

        // With --out the networks are kept as they finish (OUT.partial/, gone at the end): the same accuracies, and a
        // network kept for another set is not taken for this one's.
        var output = Path.Combine(_dir, "eval.json");
        Directory.CreateDirectory(output + ".partial");
        File.WriteAllText(Path.Combine(output + ".partial", "net-0.json"), """{"network":0,"accuracy":0.999,"seconds":1,"set":"another set"}""");
        var kept = Run("eval", set, "--protocol", "dc", "--model", "ConvNet(width=8,depth=1)", "--epochs", "1", "--nets", "2", "--out", output);
        Assert.True(kept.Code == 0, kept.Err);
        var accuracies = JsonDocument.Parse(File.ReadAllText(output)).RootElement.GetProperty("accuracies");
        Assert.Equal(json.GetProperty("accuracies").EnumerateArray().Select(a => a.GetDouble()), accuracies.EnumerateArray().Select(a => a.GetDouble()));
        Assert.False(Directory.Exists(output + ".partial"));
    }
}
