using System.Globalization;
using System.Text;
using System.Text.Json;
using DDist.Torch.IO;

namespace DDist.Distillation;

/// <summary>One outer iteration's matching loss and the step size α after its update.</summary>
public sealed record LossPoint(int Iteration, double Loss, double Lr);

/// <summary>Writes the loss curve as JSON (array of points) and CSV (iteration,loss,lr), atomically.</summary>
public static class LossCurve
{
    public static void Save(IReadOnlyList<LossPoint> curve, string jsonPath, string csvPath)
    {
        AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(curve, new JsonSerializerOptions { WriteIndented = false }));
        var csv = new StringBuilder("iteration,loss,lr\n");
        foreach (var p in curve)
            csv.Append(CultureInfo.InvariantCulture, $"{p.Iteration},{p.Loss:R},{p.Lr:R}\n");
        AtomicFile.WriteAllText(csvPath, csv.ToString());
    }

    public static IReadOnlyList<LossPoint> Load(string jsonPath) =>
        JsonSerializer.Deserialize<List<LossPoint>>(File.ReadAllText(jsonPath))
        ?? throw new InvalidDataException($"{jsonPath}: empty loss curve");
}
