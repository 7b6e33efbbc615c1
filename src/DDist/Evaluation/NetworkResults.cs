using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DDist.Torch.IO;

namespace DDist.Evaluation;

/// <summary>An evaluation kept network by network: network k of an evaluation keeps its test accuracy (and what training
/// it took) in DIR/net-K.json as soon as it finishes, so an interrupted evaluation resumes at the network it was in and
/// the networks can run as separate scheduler tasks. The evaluation is assembled from those files with the same mean
/// and std as one process evaluating every network (each network's seed depends only on its index). Each file names the
/// set it trained on (<see cref="Artifacts.SmallSet.Digest"/>; where the folder does not fix the protocol, with the
/// protocol and seed): one of another set counts as missing and is redone.</summary>
public static class NetworkResults
{
    /// <summary>The folder of a SelMatch run's row: RUN/eval/ROW.</summary>
    public static string RowDir(string outDir, string row) => Path.Combine(outDir, "eval", row);

    public static string FileIn(string dir, int network) => Path.Combine(dir, $"net-{network.ToString(CultureInfo.InvariantCulture)}.json");

    /// <summary>Evaluates network <paramref name="network"/> on the set <paramref name="setDigest"/> unless
    /// <paramref name="dir"/> holds its result, and keeps it (whether it diverged too). <paramref name="evaluate"/>
    /// returns that one network's evaluation.</summary>
    public static void EvaluateOne(string dir, string label, int network, string setDigest, Func<EvalResult> evaluate)
    {
        var path = FileIn(dir, network);
        if (Read(path, setDigest) is not null) return;
        var clock = Stopwatch.StartNew();
        var one = evaluate();
        if (one.Accuracies.Length != 1) throw new InvalidOperationException($"{path}: expected one network's evaluation, got {one.Accuracies.Length}");
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new
        {
            row = label, network, accuracy = one.Accuracies[0], diverged = one.Diverged > 0, seconds = clock.Elapsed.TotalSeconds, set = setDigest,
        }));
    }

    /// <summary>Every network of the evaluation, one at a time (those already kept are read, not retrained), then the
    /// whole evaluation; its time is what the networks took in all the processes that trained them.</summary>
    public static EvalResult EvaluateEach(string dir, string label, int networks, string setDigest, Func<int, EvalResult> evaluate)
    {
        for (int k = 0; k < networks; k++)
        {
            int network = k;
            EvaluateOne(dir, label, network, setDigest, () => evaluate(network));
        }
        return TryAssemble(dir, networks, setDigest) ?? throw new InvalidOperationException($"{dir}: a network's result is missing after evaluating every network");
    }

    /// <summary><see cref="EvaluateEach"/> for a small set under <paramref name="protocol"/>: network k trains exactly as it
    /// does among all N in <see cref="SmallSetEvaluator.Evaluate"/>. <paramref name="trainedOn"/> names what the networks
    /// train on (default: the set's digest; add the protocol and seed where the folder does not fix them).</summary>
    public static EvalResult EvaluateSet(string dir, string label, Artifacts.SmallSet set, Data.ImageDataset test, EvalProtocol protocol, ulong seed,
                                         IProgress<ProgressReport>? progress, CancellationToken ct, string? trainedOn = null) =>
        EvaluateEach(dir, label, protocol.Networks, trainedOn ?? set.Digest(),
            k => SmallSetEvaluator.Evaluate(set, test, protocol with { OnlyNetwork = k }, seed, progress, ct));

    /// <summary>The evaluation from its per-network files when all <paramref name="networks"/> are there for the set
    /// <paramref name="setDigest"/>; otherwise null. Its time is the networks' seconds summed.</summary>
    public static EvalResult? TryAssemble(string dir, int networks, string setDigest)
    {
        var accuracies = new double[networks];
        double seconds = 0;
        int diverged = 0;
        for (int k = 0; k < networks; k++)
        {
            if (Read(FileIn(dir, k), setDigest) is not { } kept) return null;
            (accuracies[k], seconds) = (kept.Accuracy, seconds + kept.Seconds);
            if (kept.Diverged) diverged++;
        }
        return EvalResult.From(accuracies, TimeSpan.FromSeconds(seconds), diverged);
    }

    /// <summary>A network's kept result when its file is there and names the set <paramref name="setDigest"/>. Files
    /// written before divergence was recorded have no 'diverged' field: read as not diverged.</summary>
    private static (double Accuracy, double Seconds, bool Diverged)? Read(string path, string setDigest)
    {
        if (!File.Exists(path)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        if (!root.TryGetProperty("set", out var set) || set.ValueKind != JsonValueKind.String || set.GetString() != setDigest) return null;
        double Number(string field) => root.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble()
            : throw new InvalidDataException($"{path}: field '{field}' missing or not a number");
        bool diverged = root.TryGetProperty("diverged", out var d) && (d.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? d.GetBoolean() : throw new InvalidDataException($"{path}: field 'diverged' is not true or false"));
        return (Number("accuracy"), Number("seconds"), diverged);
    }
}
