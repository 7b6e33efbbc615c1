using System.Text.Json;
using DDist.Artifacts;
using DDist.Data;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Distillation;

/// <summary>What a DC, DSA or DM run produces: the final synthetic set (every image learnable; no model selection,
/// so no test or validation data is looked at), its loss curve and how long it took.</summary>
public sealed record MatchingResult(SmallSet Set, IReadOnlyList<LossPoint> Curve, TimeSpan Elapsed)
{
    internal static MatchingResult From(SyntheticInit syn, string method, List<LossPoint> curve, TimeSpan elapsed, ImageDataset data,
                                        int seed, Dictionary<string, string> parameters)
    {
        using var scope = new TensorScope();
        using var noGrad = Tensors.NoGrad();
        var set = new SmallSet
        {
            Images = syn.Images.Detach().To(DType.Float32, Device.Cpu).Clone().DetachFromScope(),
            Labels = syn.Labels.To(DType.Int64, Device.Cpu).Clone().DetachFromScope(),
            IsDistilled = Enumerable.Repeat(true, syn.SourceIndex.Length).ToArray(),
            SourceIndex = (long[])syn.SourceIndex.Clone(),
            Zca = data.Zca?.ToTensors(),
            Info = new SmallSetInfo
            {
                Dataset = data.Name, Method = method, Ipc = syn.Ipc, NumClasses = data.NumClasses, Seed = (ulong)seed,
                Normalization = data.Space,
                Parameters = parameters,
            },
        };
        return new MatchingResult(set, curve, elapsed);
    }

    /// <summary>Writes DIR/synthetic.safetensors (+ .json), DIR/loss.json and .csv, and DIR/distill.json.</summary>
    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        Set.Save(Path.Combine(dir, "synthetic.safetensors"));
        LossCurve.Save(Curve, Path.Combine(dir, "loss.json"), Path.Combine(dir, "loss.csv"));
        var summary = new
        {
            method = Set.Info.Method, ipc = Set.Info.Ipc, iterations = Curve.Count, seconds = Elapsed.TotalSeconds,
            final_loss = Curve.Count > 0 ? Curve[^1].Loss : (double?)null,
            selected_on = "none: the final set is kept (no model selection)", parameters = Set.Info.Parameters,
        };
        AtomicFile.WriteAllText(Path.Combine(dir, "distill.json"), JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
    }
}
