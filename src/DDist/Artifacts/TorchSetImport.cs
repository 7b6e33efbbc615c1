using System.Collections;
using System.Globalization;
using DDist.Data;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Artifacts;

/// <summary>The pixel space an imported set's images are in.</summary>
public enum ImportedSpace
{
    /// <summary>Per-channel normalised, as DC/DSA/DM and MTT/DATM without ZCA keep them (the source's constants:
    /// <see cref="SetImportRequest.SourceNormalization"/>, by default the dataset's).</summary>
    Normalized,
    /// <summary>ZCA-whitened with a fit on the whole training set's [0,1] pixels (MTT's and DATM's <c>--zca</c>).</summary>
    Zca,
    /// <summary>[0,1] pixels (MTT's <c>images_zca_*.pt</c>, the whitened images mapped back).</summary>
    Pixels,
}

/// <summary>What to import: the images file and, where the file does not hold them, the labels and step size.</summary>
public sealed record SetImportRequest
{
    /// <summary>A torch.save file: one tensor (MTT/DATM/TESLA/SelMatch <c>images_best.pt</c>), DC's result dict
    /// (<c>{'data': [[images, labels], …], …}</c>) or a pair <c>[images, labels]</c>.</summary>
    public required string ImagesPath { get; init; }
    /// <summary>A torch.save file of labels: int64 (N) hard labels (<c>labels_best.pt</c> of MTT) or float (N, K) soft
    /// labels (DATM's learned logits). Null: the images file's own labels, else MTT/DC's class-ordered blocks.</summary>
    public string? LabelsPath { get; init; }
    public SoftLabelKind SoftLabelKind { get; init; } = SoftLabelKind.Logits;
    /// <summary>The learned step size, with where it came from (DATM's <c>lr_best.pt</c>, or a number).</summary>
    public (double Value, string Source)? LearnedLr { get; init; }
    public ImportedSpace Space { get; init; } = ImportedSpace.Normalized;
    /// <summary>The constants the images were normalised with; null: the dataset's (<see cref="DatasetRegistry.NormalizationFor"/>).</summary>
    public Normalization? SourceNormalization { get; init; }
    /// <summary>Which experiment of a DC result file (its 'data' list); null: the only one, else an error.</summary>
    public int? Experiment { get; init; }
    public string Method { get; init; } = "imported";
}

/// <summary>Turns a distilled set written by another project's PyTorch code into a DDist <see cref="SmallSet"/>, so
/// that every evaluation protocol, architecture and picture of DDist applies to it. Its images are re-expressed in the
/// dataset's own normalisation (to float32 rounding) or carry the ZCA transform of the dataset's training set, so the
/// test set is read in the same space as they are.</summary>
public static class TorchSetImport
{
    public static SmallSet Import(SetImportRequest request, RawDataset raw, Func<ZcaTransform> fitZca)
    {
        var path = request.ImagesPath;
        var (images, fileLabels, layout) = FindImages(path, TorchSaveFile.Load(path), request.Experiment);
        var (channels, height, width, classes) = (raw.Train.Channels, raw.Train.Height, raw.Train.Width, raw.NumClasses);
        CheckImages(path, images, channels, height, width, raw.Name);
        long n = images.Shape[0];

        var (hard, soft, labelsFrom) = Labels(request, fileLabels, n, classes);
        var datasetNorm = DatasetRegistry.NormalizationFor(raw);
        var parameters = new Dictionary<string, string>
        {
            ["source"] = Path.GetFullPath(path), ["layout"] = layout, ["labels"] = labelsFrom, ["space"] = request.Space.ToString().ToLowerInvariant(),
        };
        float[] pixels = Convert(images, request, datasetNorm, channels, parameters);
        if (Array.FindIndex(pixels, v => !float.IsFinite(v)) is var bad and >= 0)
            throw new InvalidDataException($"{path}: image {bad / (pixels.Length / n)} holds NaN or infinite pixels");
        using var zca = request.Space == ImportedSpace.Zca ? fitZca() : null;
        if (request.LearnedLr is { } lr)
        {
            if (!(double.IsFinite(lr.Value) && lr.Value > 0)) throw new InvalidDataException($"{lr.Source}: step size {lr.Value}, expected a positive finite number");
            parameters["learned_lr_source"] = lr.Source;
        }

        var counts = new long[classes];
        foreach (var c in hard) counts[c]++;
        if (counts.Distinct().Count() > 1) parameters["class_counts"] = string.Join(",", counts);
        using var scope = new TensorScope();
        var set = new SmallSet
        {
            Images = Tensors.FromArray(pixels, images.Shape).DetachFromScope(),
            Labels = Tensors.FromArray(hard).DetachFromScope(),
            IsDistilled = Enumerable.Repeat(true, (int)n).ToArray(),
            SourceIndex = Enumerable.Repeat(-1L, (int)n).ToArray(),
            LearnedLr = request.LearnedLr?.Value,
            Zca = zca?.ToTensors(),
            SoftLabels = soft is null ? null : new SoftLabels(Tensors.FromArray(soft, n, classes).DetachFromScope(), request.SoftLabelKind, $"imported from {request.LabelsPath}"),
            Info = new SmallSetInfo
            {
                Dataset = raw.Name, Method = request.Method, Ipc = (int)counts.Max(), NumClasses = classes,
                Normalization = zca is null ? datasetNorm.Name : ZcaTransform.SpaceName, Parameters = parameters,
            },
        };
        return set;
    }

    /// <summary>The learned step size a torch.save file holds as one number (DATM's <c>lr_best.pt</c>).</summary>
    public static double StepSizeFrom(string path) => TorchSaveFile.Load(path) switch
    {
        PickledTensor { Count: 1, DType: DType.Float32 or DType.Float64 } t => t.ToDoubles()[0],
        PickledTensor t => throw new InvalidDataException($"{path}: holds a {t.Describe()} tensor, expected one floating-point number (a step size)"),
        double d => d,
        var other => throw new InvalidDataException($"{path}: holds {Describe(other)}, expected one floating-point number (a step size)"),
    };

    /// <summary>Where the images (and labels, if the file holds them) are in what the file holds.</summary>
    private static (PickledTensor Images, PickledTensor? Labels, string Layout) FindImages(string path, object? content, int? experiment)
    {
        switch (content)
        {
            case PickledTensor t:
                if (experiment is not null) throw new InvalidDataException($"{path}: holds one tensor; --experiment applies to DC's result files");
                return (t, null, "tensor");
            case Hashtable dict when dict["data"] is IList runs:
                if (runs.Count == 0) throw new InvalidDataException($"{path}: field 'data' is an empty list, expected DC's [[images, labels], …] (one pair per experiment)");
                int k = experiment ?? (runs.Count == 1 ? 0
                    : throw new InvalidDataException($"{path}: field 'data' holds {runs.Count} experiments' sets; choose one with --experiment 0…{runs.Count - 1}"));
                if (k < 0 || k >= runs.Count) throw new InvalidDataException($"{path}: --experiment {k}, but field 'data' holds {runs.Count} (0…{runs.Count - 1})");
                var (images, labels) = Pair(runs[k], $"{path}: field 'data'[{k}]");
                return (images, labels, $"DC result file, data[{k}] of {runs.Count}");
            case IList pair when pair.Count == 2:
                if (experiment is not null) throw new InvalidDataException($"{path}: holds one [images, labels] pair; --experiment applies to DC's result files");
                var (i2, l2) = Pair(pair, path);
                return (i2, l2, "pair [images, labels]");
            default:
                throw new InvalidDataException($"{path}: holds {Describe(content)}; expected a tensor of images (MTT/DATM/TESLA images_best.pt), " +
                                               "DC's result dict {'data': [[images, labels], …]} or a pair [images, labels]");
        }
    }

    private static (PickledTensor, PickledTensor) Pair(object? o, string where) => o is IList { Count: 2 } p && p[0] is PickledTensor a && p[1] is PickledTensor b
        ? (a, b) : throw new InvalidDataException($"{where}: holds {Describe(o)}, expected a pair [images, labels] of tensors");

    private static void CheckImages(string path, PickledTensor images, int channels, int height, int width, string dataset)
    {
        var s = images.Shape;
        if (images.DType is not (DType.Float32 or DType.Float64))
            throw new InvalidDataException($"{path}: images are a {images.Describe()} tensor, expected floating-point pixels");
        if (s.Length == 4 && s[1] == channels && s[2] == height && s[3] == width && s[0] > 0) return;
        var hint = s.Length == 4 && s[3] == channels && s[1] == height && s[2] == width ? " (channels last: DDist, like PyTorch, keeps them first)" : "";
        throw new InvalidDataException($"{path}: images are [{string.Join(",", s)}], expected [N,{channels},{height},{width}] for {dataset}{hint}");
    }

    /// <summary>Hard labels (one class per image) and, for a (N, K) labels file, the soft labels they are the argmax of.</summary>
    private static (long[] Hard, float[]? Soft, string From) Labels(SetImportRequest request, PickledTensor? inFile, long n, int classes)
    {
        string where;
        PickledTensor t;
        if (request.LabelsPath is { } lp)
        {
            t = TorchSaveFile.Load(lp) as PickledTensor ?? throw new InvalidDataException($"{lp}: holds no tensor, expected labels: (N) classes or (N,{classes}) soft labels");
            where = lp;
        }
        else if (inFile is not null) (t, where) = (inFile, request.ImagesPath + " (its labels)");
        else
        {
            // MTT, DATM, DC and their forks order the set by class: [0]*ipc + [1]*ipc + … (label_syn in distill.py/main.py).
            if (n % classes != 0)
                throw new InvalidDataException($"{request.ImagesPath}: {n} images and no labels: MTT/DC's class-ordered layout needs a multiple of {classes} images; give the labels file");
            return (Enumerable.Range(0, (int)n).Select(i => (long)(i / (n / classes))).ToArray(), null, $"class-ordered blocks of {n / classes} (no labels file: MTT/DC's layout)");
        }
        if (t.Shape.Length == 2)
        {
            if (t.Shape[0] != n || t.Shape[1] != classes)
                throw new InvalidDataException($"{where}: soft labels are [{string.Join(",", t.Shape)}], expected [{n},{classes}] (images × classes)");
            if (!t.DType.IsFloatingPoint()) throw new InvalidDataException($"{where}: soft labels are a {t.Describe()} tensor, expected floating point");
            var values = t.ToDoubles().Select(v => (float)v).ToArray();
            if (values.Any(v => !float.IsFinite(v))) throw new InvalidDataException($"{where}: soft labels hold NaN or infinite values");
            var argmax = new long[n];
            for (int i = 0; i < n; i++)
                for (int c = 1; c < classes; c++)
                    if (values[i * classes + c] > values[i * classes + argmax[i]]) argmax[i] = c;
            return (argmax, values, $"{Source(where)}: soft labels ({request.SoftLabelKind.ToString().ToLowerInvariant()})");
        }
        if (t.Shape.Length != 1 || t.Shape[0] != n)
            throw new InvalidDataException($"{where}: labels are {t.Describe()}, expected ({n}) classes or ({n},{classes}) soft labels");
        var raw = t.ToDoubles();
        if (raw.Any(v => v != Math.Floor(v) || v < 0 || v >= classes))
            throw new InvalidDataException($"{where}: labels range over [{raw.Min()}, {raw.Max()}], expected whole classes in [0, {classes})");
        return (raw.Select(v => (long)v).ToArray(), null, Source(where));
    }

    /// <summary>A labels file's full path (what the set records), or the images file's "(its labels)".</summary>
    private static string Source(string where) => File.Exists(where) ? Path.GetFullPath(where) : where;

    /// <summary>The images in the dataset's normalisation (or as they are, for ZCA): x ← ((x·σₛ + μₛ) − μ) / σ, in float64.</summary>
    private static float[] Convert(PickledTensor images, SetImportRequest request, Normalization datasetNorm, int channels, Dictionary<string, string> parameters)
    {
        var x = images.ToDoubles();
        if (request.Space == ImportedSpace.Zca) return x.Select(v => (float)v).ToArray();
        var source = request.Space == ImportedSpace.Pixels ? Normalization.Identity(channels) : request.SourceNormalization ?? datasetNorm;
        if (source.Channels != channels) throw new InvalidDataException($"normalisation '{source.Name}' has {source.Channels} channels, the dataset {channels}");
        parameters["source_normalization"] = source.Name;
        if (source.Mean.SequenceEqual(datasetNorm.Mean) && source.Std.SequenceEqual(datasetNorm.Std)) return x.Select(v => (float)v).ToArray();
        long plane = images.Shape[2] * images.Shape[3];
        var y = new float[x.Length];
        for (long i = 0; i < x.Length; i++)
        {
            int c = (int)(i / plane % channels);
            y[i] = (float)((x[i] * source.Std[c] + source.Mean[c] - datasetNorm.Mean[c]) / datasetNorm.Std[c]);
        }
        return y;
    }

    private static string Describe(object? o) => o switch
    {
        null => "None",
        PickledTensor t => $"a {t.Describe()} tensor",
        IDictionary d => "a dict with keys " + string.Join(", ", d.Keys.Cast<object>().Select(k => $"'{k}'")),
        IList l => $"a list of {l.Count}: [{string.Join(", ", l.Cast<object?>().Take(4).Select(Describe))}{(l.Count > 4 ? ", …" : "")}]",
        string s => $"the string '{s}'",
        _ => string.Create(CultureInfo.InvariantCulture, $"the value {o}"),
    };
}
