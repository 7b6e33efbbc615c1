using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Artifacts;

/// <summary>What produced a small set and how to read its pixels. Stored as JSON inside the safetensors
/// metadata (key "ddist") and beside it as NAME.json for people.</summary>
public sealed record SmallSetInfo
{
    public required string Dataset { get; init; }
    /// <summary>Normalisation the images are in, e.g. "mean=[0.2861] std=[0.353]"; "zca" when whitened.</summary>
    public required string Normalization { get; init; }
    public required string Method { get; init; }
    public required int Ipc { get; init; }
    public required int NumClasses { get; init; }
    public ulong Seed { get; init; }
    public Dictionary<string, string> Parameters { get; init; } = new();
    public string CreatedUtc { get; init; } = DateTime.UtcNow.ToString("O");
}

/// <summary>The one artefact for every small training set DDist makes, selected or distilled:
/// images (normalised space), labels, which images are distilled and which real, the real images' source
/// indices, an optional learned learning rate and an optional ZCA transform the images depend on.</summary>
public sealed class SmallSet : IDisposable
{
    public required Tensor Images { get; init; }          // float32 (N,C,H,W)
    public required Tensor Labels { get; init; }          // int64 (N)
    public required bool[] IsDistilled { get; init; }     // per image: true = pixels were optimised
    public required long[] SourceIndex { get; init; }     // per image: index in the real training set, -1 if none
    public double? LearnedLr { get; init; }
    public Dictionary<string, Tensor>? Zca { get; init; }
    /// <summary>Optional per-image label targets (N, K) that training uses instead of <see cref="Labels"/>;
    /// <see cref="Labels"/> still names each image's class.</summary>
    public SoftLabels? SoftLabels { get; init; }
    /// <summary>Optional learned per-step step sizes (DD, SLD): training takes exactly these plain GD steps.</summary>
    public LearnedSteps? Steps { get; init; }
    public required SmallSetInfo Info { get; init; }

    public int Count => IsDistilled.Length;
    public int DistilledCount => IsDistilled.Count(d => d);

    public const string FormatV1 = "ddist.smallset.v1";
    public const string FormatV2 = "ddist.smallset.v2";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Writes PATH (safetensors, atomically) and PATH with extension .json.</summary>
    public void Save(string path)
    {
        Validate(path);
        using var scope = new TensorScope();
        var tensors = new List<KeyValuePair<string, Tensor>>
        {
            new("images", Images.To(DType.Float32, Device.Cpu).Contiguous()),
            new("labels", Labels.To(DType.Int64, Device.Cpu)),
            new("distilled", Tensors.FromArray(IsDistilled.Select(d => d ? (byte)1 : (byte)0).ToArray())),
            new("source_index", Tensors.FromArray(SourceIndex)),
        };
        if (LearnedLr is double lr) tensors.Add(new("learned_lr", Tensors.FromArray(new[] { lr })));
        if (Zca is not null) foreach (var (k, v) in Zca) tensors.Add(new("zca." + k, v));
        var info = JsonSerializer.Serialize(Info, Json);
        // v1 readers would silently train on hard labels or a single lr: sets with soft labels or learned steps are v2.
        var meta = new Dictionary<string, string> { ["ddist"] = info, ["format"] = SoftLabels is null && Steps is null ? FormatV1 : FormatV2 };
        SoftLabels?.AddTo(tensors, meta);
        Steps?.AddTo(tensors, meta);
        // The description first: the tensors are what marks the set as made, so an interruption between the two writes
        // leaves a set to make again, never one without its description.
        AtomicFile.WriteAllText(System.IO.Path.ChangeExtension(path, ".json"), info);
        SafeTensors.Save(path, tensors, meta);
    }

    public static SmallSet Load(string path)
    {
        var (t, meta) = SafeTensors.Load(path);
        string Need(string key) => meta.TryGetValue(key, out var v) ? v
            : throw new InvalidDataException($"{path}: metadata field '{key}' missing; not a DDist small set");
        var format = Need("format");
        if (format != FormatV1 && format != FormatV2)
            throw new InvalidDataException($"{path}: metadata field 'format' is '{format}', expected '{FormatV1}' or '{FormatV2}'");
        Tensor Get(string name) => t.TryGetValue(name, out var v) ? v : throw new InvalidDataException($"{path}: tensor '{name}' missing");
        // Close types to the writer's (a set written from NumPy: float64 images, int32 labels) are converted; the writer's own pass as they are.
        static Tensor As(Tensor v, DType dtype) => v.DType == dtype ? v : v.To(dtype);
        Tensor Vector(string name, params DType[] dtypes)
        {
            var v = Get(name);
            if (v.Dim != 1 || !dtypes.Contains(v.DType))
                throw new InvalidDataException($"{path}: tensor '{name}' is {v.DType} [{string.Join(",", v.Shape)}], expected a vector (N) of {string.Join(" or ", dtypes)}");
            return As(v, dtypes[0]);
        }
        SmallSetInfo info;
        try
        {
            info = JsonSerializer.Deserialize<SmallSetInfo>(Need("ddist"), Json) ?? throw new InvalidDataException($"{path}: metadata field 'ddist' is empty");
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: metadata field 'ddist' is not a small set's description: {e.Message}"); }
        Dictionary<string, Tensor>? zca = null;
        foreach (var (k, v) in t)
            if (k.StartsWith("zca.")) (zca ??= new())[k[4..]] = v;
        var images = Get("images");
        if (images.DType is not (DType.Float32 or DType.Float64))
            throw new InvalidDataException($"{path}: tensor 'images' is {images.DType}, expected Float32 (or Float64)");
        var set = new SmallSet
        {
            Images = As(images, DType.Float32),
            Labels = Vector("labels", DType.Int64, DType.Int32),
            IsDistilled = Vector("distilled", DType.UInt8, DType.Bool).ToArray<byte>().Select(b => b != 0).ToArray(),
            SourceIndex = Vector("source_index", DType.Int64, DType.Int32).ToArray<long>(),
            LearnedLr = t.ContainsKey("learned_lr") ? LearnedStepSize(path, Get("learned_lr")) : null,
            Zca = zca,
            SoftLabels = Artifacts.SoftLabels.ReadFrom(path, t, meta),
            Steps = LearnedSteps.ReadFrom(path, t, meta),
            Info = info,
        };
        set.Validate(path);
        return set;
    }

    /// <summary>A SHA-256 digest of what an evaluation trains on — images, labels, which images are distilled, the learned
    /// lr, soft labels, learned steps — as hex: sets with the same digest train the same networks. Kept beside each
    /// network's result so that a result of another set (remade in the same folder) is never taken for this one's.</summary>
    public string Digest()
    {
        using var scope = new TensorScope();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Images.To(DType.Float32, Device.Cpu).Contiguous().ToBytes());
        sha.AppendData(Labels.To(DType.Int64, Device.Cpu).Contiguous().ToBytes());
        sha.AppendData(IsDistilled.Select(d => d ? (byte)1 : (byte)0).ToArray());
        if (LearnedLr is double lr) sha.AppendData(BitConverter.GetBytes(lr));
        if (SoftLabels is { } soft) sha.AppendData(soft.Values.To(DType.Float32, Device.Cpu).Contiguous().ToBytes());
        if (Steps is { } steps)
        {
            sha.AppendData(steps.Lrs.SelectMany(BitConverter.GetBytes).Concat(BitConverter.GetBytes(steps.ImageSteps)).ToArray());
            if (steps.FixedInit is { } init) sha.AppendData(init.SelectMany(BitConverter.GetBytes).ToArray());
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>The same set with <paramref name="soft"/> as its soft labels (null: each image trains on its class), the
    /// other tensors aliased outside any scope (dispose both sets); the copy owns <paramref name="soft"/>. Its digest differs from this
    /// set's, so networks kept for the two never mix.</summary>
    public SmallSet WithSoftLabels(SoftLabels? soft) => new()
    {
        Images = Images.Alias().DetachFromScope(), Labels = Labels.Alias().DetachFromScope(), IsDistilled = IsDistilled, SourceIndex = SourceIndex,
        LearnedLr = LearnedLr, Zca = Zca?.ToDictionary(kv => kv.Key, kv => kv.Value.Alias().DetachFromScope()), SoftLabels = soft, Steps = Steps, Info = Info,
    };

    /// <summary>Throws, as bad data in the set's file <paramref name="path"/>, unless its images have the dataset's shape
    /// and its classes are the dataset's: checked before anything trains on it.</summary>
    public void CheckFits(string path, Data.ImageDataset test)
    {
        try { Evaluation.NetworkEvaluation.CheckCompatible(path, Images, Labels, test); }
        catch (ArgumentException e) { throw new InvalidDataException(e.Message); }
        if (Info.NumClasses != test.NumClasses)
            throw new InvalidDataException($"{path}: metadata 'ddist' NumClasses is {Info.NumClasses}, but '{test.Name}' has {test.NumClasses} classes");
    }

    /// <summary>The learned step size: one positive, finite number (an evaluation would otherwise train with it silently).</summary>
    private static double LearnedStepSize(string path, Tensor lr)
    {
        if (lr.NumEl != 1 || lr.DType is not (DType.Float64 or DType.Float32))
            throw new InvalidDataException($"{path}: tensor 'learned_lr' is {lr.DType} [{string.Join(",", lr.Shape)}], expected one Float64");
        double value = lr.DType == DType.Float64 ? lr.ToArray<double>()[0] : lr.ToArray<float>()[0];
        return double.IsFinite(value) && value > 0 ? value
            : throw new InvalidDataException($"{path}: tensor 'learned_lr' is {value}, expected a positive finite step size");
    }

    private void Validate(string path)
    {
        var n = Images.Size(0);
        if (Images.Dim != 4) throw new InvalidDataException($"{path}: 'images' must be (N,C,H,W), got [{string.Join(",", Images.Shape)}]");
        if (Info.NumClasses < 1) throw new InvalidDataException($"{path}: metadata 'ddist' NumClasses is {Info.NumClasses}, expected at least 1");
        if (n > 0)
            using (new TensorScope())
            {
                var notFinite = Images.IsFinite().LogicalNot().To(DType.Float32).View(n, -1).Sum(1).To(Device.Cpu).ToArray<float>();
                int bad = Array.FindIndex(notFinite, c => c > 0);
                if (bad >= 0) throw new InvalidDataException($"{path}: 'images' holds NaN or infinite pixels (image {bad})");
                var labels = Labels.To(DType.Int64, Device.Cpu).ToArray<long>();
                if (labels.Min() < 0 || labels.Max() >= Info.NumClasses)
                    throw new InvalidDataException($"{path}: 'labels' range over [{labels.Min()}, {labels.Max()}], expected classes in [0, {Info.NumClasses})");
            }
        if (Labels.NumEl != n) throw new InvalidDataException($"{path}: 'labels' has {Labels.NumEl} entries, images has {n}");
        if (IsDistilled.Length != n) throw new InvalidDataException($"{path}: 'distilled' has {IsDistilled.Length} entries, images has {n}");
        if (SourceIndex.Length != n) throw new InvalidDataException($"{path}: 'source_index' has {SourceIndex.Length} entries, images has {n}");
        SoftLabels?.Validate(path, n, Info.NumClasses);
        Steps?.Validate(path, n);
    }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
        SoftLabels?.Values.Dispose();
        if (Zca is not null) foreach (var v in Zca.Values) v.Dispose();
    }
}
