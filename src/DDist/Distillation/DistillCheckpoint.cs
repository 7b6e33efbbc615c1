using System.Globalization;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Distillation;

/// <summary>Everything a distillation run needs to continue bit-identically: the learnable images and step size,
/// both optimisers' momentum buffers, libtorch's generator state (and the GPU generator's, for a run on a GPU), the next iteration (which is also the host RNG's
/// state, see <see cref="IterationRandom"/>), the best set so far, the loss curve and the seconds spent to get here. One
/// safetensors file, written atomically.</summary>
public sealed class DistillCheckpoint : IDisposable
{
    public const string Format = "ddist.distill-checkpoint.v1";

    public required int NextIteration { get; init; }
    public required Tensor Distilled { get; init; }
    public required Tensor LrParam { get; init; }
    public required Tensor ImageMomentum { get; init; }
    public required Tensor LrMomentum { get; init; }
    public required Tensor TorchRng { get; init; }
    /// <summary>The GPU generator's state when the run is on a GPU; null on the CPU (and in older checkpoints).</summary>
    public Tensor? DeviceRng { get; init; }
    /// <summary>FTD's moving average of the distilled images, when the run keeps one.</summary>
    public Tensor? Ema { get; init; }
    public Tensor? BestDistilled { get; init; }
    public Tensor? BestLrParam { get; init; }
    public int BestIteration { get; init; } = -1;
    public double BestMean { get; init; } = double.NaN;
    public double BestStd { get; init; } = double.NaN;
    /// <summary>The best iteration's accuracy per network (absent in older checkpoints).</summary>
    public double[] BestAccuracies { get; init; } = [];
    /// <summary>Every evaluation made so far (absent in older checkpoints: then empty).</summary>
    public IReadOnlyList<SelectionPoint> Evaluations { get; init; } = [];
    public required IReadOnlyList<LossPoint> Curve { get; init; }
    public required string Fingerprint { get; init; }
    /// <summary>Wall time spent on the run up to this checkpoint, earlier sessions included (0 in older checkpoints).</summary>
    public double Seconds { get; init; }

    public void Save(string path)
    {
        using var scope = new TensorScope();
        var t = new List<KeyValuePair<string, Tensor>>
        {
            new("distilled", Distilled.Detach().Contiguous()),
            new("lr_param", LrParam.Detach().Reshape(1)),
            new("image_momentum", ImageMomentum.Contiguous()),
            new("lr_momentum", LrMomentum.Reshape(1)),
            new("torch_rng", TorchRng),
            new("curve_iteration", Tensors.FromArray(Curve.Select(p => (long)p.Iteration).ToArray())),
            new("curve_loss", Tensors.FromArray(Curve.Select(p => p.Loss).ToArray())),
            new("curve_lr", Tensors.FromArray(Curve.Select(p => p.Lr).ToArray())),
        };
        if (DeviceRng is not null) t.Add(new(RngSnapshot.DeviceEntry("torch_rng"), DeviceRng));
        if (Ema is not null) t.Add(new("ema_distilled", Ema.Detach().Contiguous()));
        if (BestDistilled is not null) t.Add(new("best_distilled", BestDistilled.Contiguous()));
        if (BestLrParam is not null) t.Add(new("best_lr_param", BestLrParam.Reshape(1)));
        if (BestAccuracies.Length > 0) t.Add(new("best_accuracies", Tensors.FromArray(BestAccuracies)));
        Distillation.BestIteration.AddEvaluations(t, Evaluations);
        var meta = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["next_iteration"] = NextIteration.ToString(CultureInfo.InvariantCulture),
            ["best_iteration"] = BestIteration.ToString(CultureInfo.InvariantCulture),
            ["best_mean"] = BestMean.ToString("R", CultureInfo.InvariantCulture),
            ["best_std"] = BestStd.ToString("R", CultureInfo.InvariantCulture),
            ["fingerprint"] = Fingerprint,
            ["seconds"] = Seconds.ToString("R", CultureInfo.InvariantCulture),
        };
        SafeTensors.Save(path, t, meta);
    }

    /// <summary>Reads a checkpoint; tensors are CPU and owned by the result.</summary>
    public static DistillCheckpoint Load(string path)
    {
        var (t, meta) = SafeTensors.Load(path);
        string Meta(string k) => meta.TryGetValue(k, out var v) ? v : throw new InvalidDataException($"{path}: metadata field '{k}' missing");
        Tensor Need(string k) => t.TryGetValue(k, out var v) ? v : throw new InvalidDataException($"{path}: tensor '{k}' missing");
        if (Meta("format") != Format) throw new InvalidDataException($"{path}: metadata field 'format' is '{meta["format"]}', expected '{Format}'");
        // A run stops before it saves anything not finite, so such values mean a damaged file: resuming from it would
        // only report a divergence that points back to this same checkpoint.
        foreach (var name in new[] { "distilled", "lr_param", "image_momentum", "lr_momentum", "ema_distilled", "best_distilled", "best_lr_param" })
            if (t.TryGetValue(name, out var v) && v.DType.IsFloatingPoint() && !v.AllFinite())
                throw new InvalidDataException($"{path}: tensor '{name}' holds NaN or infinite values; the checkpoint is damaged (delete it to start the run again)");
        var iters = Need("curve_iteration").ToArray<long>();
        var losses = Need("curve_loss").ToArray<double>();
        var lrs = Need("curve_lr").ToArray<double>();
        return new DistillCheckpoint
        {
            NextIteration = int.Parse(Meta("next_iteration"), CultureInfo.InvariantCulture),
            Distilled = Need("distilled"),
            LrParam = ToScalar(Need("lr_param")),
            ImageMomentum = Need("image_momentum"),
            LrMomentum = ToScalar(Need("lr_momentum")),
            TorchRng = Need("torch_rng"),
            DeviceRng = t.GetValueOrDefault(RngSnapshot.DeviceEntry("torch_rng")),
            Ema = t.GetValueOrDefault("ema_distilled"),
            BestDistilled = t.GetValueOrDefault("best_distilled"),
            BestLrParam = t.TryGetValue("best_lr_param", out var b) ? ToScalar(b) : null,
            BestIteration = int.Parse(Meta("best_iteration"), CultureInfo.InvariantCulture),
            BestMean = double.Parse(Meta("best_mean"), CultureInfo.InvariantCulture),
            BestStd = double.Parse(Meta("best_std"), CultureInfo.InvariantCulture),
            BestAccuracies = t.TryGetValue("best_accuracies", out var accuracies) ? accuracies.ToArray<double>() : [],
            Evaluations = Distillation.BestIteration.LoadEvaluations(path, t),
            Curve = iters.Select((it, i) => new LossPoint((int)it, losses[i], lrs[i])).ToList(),
            Fingerprint = Meta("fingerprint"),
            Seconds = meta.TryGetValue("seconds", out var seconds) ? double.Parse(seconds, CultureInfo.InvariantCulture) : 0,
        };
    }

    /// <summary>The stored 1-element vector as the 0-d tensor the run uses (the vector's alias is released).</summary>
    private static Tensor ToScalar(Tensor vector)
    {
        var r = vector.Reshape();
        vector.Dispose();
        return r;
    }

    public void Dispose()
    {
        Distilled.Dispose(); LrParam.Dispose(); ImageMomentum.Dispose(); LrMomentum.Dispose(); TorchRng.Dispose(); DeviceRng?.Dispose();
        Ema?.Dispose(); BestDistilled?.Dispose(); BestLrParam?.Dispose();
    }
}
