using System.Globalization;
using System.Text.Json;
using DDist.Evaluation;
using DDist.Selection;
using DDist.Torch.IO;

namespace DDist.Pipeline;

/// <summary>Evaluation networks run one per scheduler task: network k of a row keeps its test accuracy in
/// RUN/eval/ROW/net-K.json, and the row is assembled from those files with the same mean and std as one process
/// evaluating every network (each network's seed depends only on its index).</summary>
public static class NetworkResults
{
    public static string FileFor(string outDir, string row, int network) =>
        Path.Combine(outDir, "eval", row, $"net-{network.ToString(CultureInfo.InvariantCulture)}.json");

    /// <summary>Evaluates network <paramref name="network"/> of the row unless its file exists.</summary>
    public static void EvaluateOne(string outDir, string row, int network, Func<double> evaluate)
    {
        var path = FileFor(outDir, row, network);
        if (File.Exists(path)) return;
        double accuracy = evaluate();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new { row, network, accuracy }));
    }

    /// <summary>The row from its per-network files when all <paramref name="networks"/> are there; otherwise null.</summary>
    public static EvalResult? TryAssemble(string outDir, string row, int networks)
    {
        var accuracies = new double[networks];
        for (int k = 0; k < networks; k++)
        {
            var path = FileFor(outDir, row, k);
            if (!File.Exists(path)) return null;
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (!doc.RootElement.TryGetProperty("accuracy", out var a) || a.ValueKind != JsonValueKind.Number)
                throw new InvalidDataException($"{path}: field 'accuracy' missing or not a number");
            accuracies[k] = a.GetDouble();
        }
        return EvalResult.From(accuracies);
    }
}
