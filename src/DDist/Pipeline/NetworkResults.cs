using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DDist.Evaluation;
using DDist.Torch.IO;

namespace DDist.Pipeline;

/// <summary>An evaluation kept network by network: network k of an evaluation keeps its test accuracy (and what training
/// it took) in DIR/net-K.json as soon as it finishes, so an interrupted evaluation resumes at the network it was in and
/// the networks can run as separate scheduler tasks. The evaluation is assembled from those files with the same mean
/// and std as one process evaluating every network (each network's seed depends only on its index).</summary>
public static class NetworkResults
{
    /// <summary>The folder of a SelMatch run's row: RUN/eval/ROW.</summary>
    public static string RowDir(string outDir, string row) => Path.Combine(outDir, "eval", row);

    public static string FileIn(string dir, int network) => Path.Combine(dir, $"net-{network.ToString(CultureInfo.InvariantCulture)}.json");

    /// <summary>Evaluates network <paramref name="network"/> unless its file in <paramref name="dir"/> exists, and keeps it.</summary>
    public static void EvaluateOne(string dir, string label, int network, Func<double> evaluate)
    {
        var path = FileIn(dir, network);
        if (File.Exists(path)) return;
        var clock = Stopwatch.StartNew();
        double accuracy = evaluate();
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new { row = label, network, accuracy, seconds = clock.Elapsed.TotalSeconds }));
    }

    /// <summary>Every network of the evaluation, one at a time (those already kept are read, not retrained), then the
    /// whole evaluation; its time is what the networks took in all the processes that trained them.</summary>
    public static EvalResult EvaluateEach(string dir, string label, int networks, Func<int, double> evaluate)
    {
        for (int k = 0; k < networks; k++)
        {
            int network = k;
            EvaluateOne(dir, label, network, () => evaluate(network));
        }
        return TryAssemble(dir, networks) ?? throw new InvalidOperationException($"{dir}: a network's result is missing after evaluating every network");
    }

    /// <summary>The evaluation from its per-network files when all <paramref name="networks"/> are there; otherwise null.
    /// Its time is the networks' seconds summed (zero when a file from before they were kept lacks them).</summary>
    public static EvalResult? TryAssemble(string dir, int networks)
    {
        var accuracies = new double[networks];
        double seconds = 0;
        bool timed = true;
        for (int k = 0; k < networks; k++)
        {
            var path = FileIn(dir, k);
            if (!File.Exists(path)) return null;
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (!doc.RootElement.TryGetProperty("accuracy", out var a) || a.ValueKind != JsonValueKind.Number)
                throw new InvalidDataException($"{path}: field 'accuracy' missing or not a number");
            accuracies[k] = a.GetDouble();
            if (doc.RootElement.TryGetProperty("seconds", out var s) && s.ValueKind == JsonValueKind.Number) seconds += s.GetDouble();
            else timed = false;
        }
        return EvalResult.From(accuracies, timed ? TimeSpan.FromSeconds(seconds) : TimeSpan.Zero);
    }
}
