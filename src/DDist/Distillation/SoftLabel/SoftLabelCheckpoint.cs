using System.Globalization;
using System.Text.Json;
using DDist.Torch;
using DDist.Torch.IO;
using DDist.Training;

namespace DDist.Distillation.SoftLabel;

/// <summary>What a DATM / TESLA-label run needs to continue bit for bit: images, α, label logits, the three momentum
/// buffers, the next iteration, the skip count, the loss curve, libtorch's generator, and the best set so far with
/// every evaluation made to find it (absent in checkpoints written before runs chose an iteration).</summary>
internal static class SoftLabelCheckpoint
{
    public static string FileIn(string dir) => Path.Combine(dir, "checkpoint.safetensors");

    /// <param name="total">The iterations the whole run makes (kept for `ddist status`; resuming does not read it).</param>
    /// <param name="seconds">The run's time so far, over every process that worked on it.</param>
    public static void Save(string dir, string fingerprint, int next, int total, int skipped, IReadOnlyList<LossPoint> curve, double seconds,
                            Tensor images, Tensor lr, Tensor logits, Sgd imageOpt, Sgd lrOpt, Sgd labelOpt, BestIteration best)
    {
        using var scope = new TensorScope();
        using var rng = RngSnapshot.Take(images.Device);
        // A momentum buffer that does not exist yet is equivalent to zeros (buf = μ·0 + d = d).
        Tensor Buf(Sgd o, Tensor like) => o.MomentumBuffer ?? Tensors.Zeros(like.Shape, like.DType, like.Device);
        var t = new Dictionary<string, Tensor>
        {
            ["images"] = images.Detach(), ["lr"] = lr.Detach(), ["logits"] = logits.Detach(),
            ["momentum.images"] = Buf(imageOpt, images), ["momentum.lr"] = Buf(lrOpt, lr), ["momentum.logits"] = Buf(labelOpt, logits),
        };
        foreach (var (name, state) in rng.Entries("rng")) t[name] = state;
        if (best.Images is not null) (t["best.images"], t["best.lr"], t["best.logits"]) = (best.Images, best.LrParam!, best.Labels!);
        if (best.Accuracy is { Accuracies.Length: > 0 } accuracy) t["best.accuracies"] = Tensors.FromArray(accuracy.Accuracies);
        BestIteration.AddEvaluations(t, best.Evaluated);
        var meta = new Dictionary<string, string>
        {
            ["fingerprint"] = fingerprint, ["next"] = next.ToString(CultureInfo.InvariantCulture), ["iterations"] = total.ToString(CultureInfo.InvariantCulture),
            ["skipped"] = skipped.ToString(CultureInfo.InvariantCulture), ["curve"] = JsonSerializer.Serialize(curve),
            ["seconds"] = seconds.ToString("R", CultureInfo.InvariantCulture),
        };
        if (best.Accuracy is { } acc)
        {
            meta["best_iteration"] = best.Iteration.ToString(CultureInfo.InvariantCulture);
            meta["best_mean"] = acc.Mean.ToString("R", CultureInfo.InvariantCulture);
            meta["best_std"] = acc.Std.ToString("R", CultureInfo.InvariantCulture);
        }
        SafeTensors.Save(FileIn(dir), t, meta);
    }

    /// <summary>Restores the state in place (<paramref name="best"/> too); returns (next iteration, skipped, curve,
    /// seconds so far: 0 from a checkpoint written before DDist kept them), or null without a checkpoint.</summary>
    public static (int Next, int Skipped, List<LossPoint> Curve, double Seconds)? Restore(string dir, string fingerprint, Tensor images, Tensor lr, Tensor logits,
                                                                         Sgd imageOpt, Sgd lrOpt, Sgd labelOpt, BestIteration best)
    {
        var path = FileIn(dir);
        if (!File.Exists(path)) return null;
        var (t, meta) = SafeTensors.Load(path);
        try
        {
            string Need(string k) => meta.TryGetValue(k, out var v) ? v : throw new InvalidDataException($"{path}: metadata field '{k}' missing");
            if (Need("fingerprint") != fingerprint)
                throw new InvalidDataException($"{path}: field 'fingerprint' is '{Need("fingerprint")}', this run is '{fingerprint}'; use another output directory");
            using (Tensors.NoGrad())
            {
                images.CopyFrom(t["images"]);
                lr.CopyFrom(t["lr"]);
                logits.CopyFrom(t["logits"]);
            }
            imageOpt.LoadMomentumBuffer(t["momentum.images"].To(images.DType, images.Device));
            lrOpt.LoadMomentumBuffer(t["momentum.lr"].To(lr.DType, lr.Device));
            labelOpt.LoadMomentumBuffer(t["momentum.logits"].To(logits.DType, logits.Device));
            RngSnapshot.RestoreCheckpoint(t["rng"], t.GetValueOrDefault(RngSnapshot.DeviceEntry("rng")), images.Device);
            double Number(string k) => double.Parse(Need(k), CultureInfo.InvariantCulture);
            bool kept = t.ContainsKey("best.images");
            if (kept && (!t.ContainsKey("best.lr") || !t.ContainsKey("best.logits")))
                throw new InvalidDataException($"{path}: tensor 'best.images' without 'best.lr' and 'best.logits'; the checkpoint is damaged (delete it to start the run again)");
            best.Restore(t.GetValueOrDefault("best.images"), t.GetValueOrDefault("best.lr"), t.GetValueOrDefault("best.logits"),
                         kept ? int.Parse(Need("best_iteration"), CultureInfo.InvariantCulture) : -1, kept ? Number("best_mean") : double.NaN,
                         kept ? Number("best_std") : double.NaN, t.TryGetValue("best.accuracies", out var a) ? a.ToArray<double>() : [],
                         BestIteration.LoadEvaluations(path, t), images);
            return (int.Parse(Need("next"), CultureInfo.InvariantCulture), int.Parse(Need("skipped"), CultureInfo.InvariantCulture),
                    JsonSerializer.Deserialize<List<LossPoint>>(Need("curve")) ?? [],
                    meta.TryGetValue("seconds", out var seconds) ? double.Parse(seconds, CultureInfo.InvariantCulture) : 0);
        }
        finally { foreach (var v in t.Values) v.Dispose(); }
    }
}
