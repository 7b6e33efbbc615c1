using System.Globalization;
using DDist.Torch;

namespace DDist.Artifacts;

/// <summary>What the numbers in <see cref="SoftLabels.Values"/> are, which fixes how training turns them into targets.</summary>
public enum SoftLabelKind
{
    /// <summary>Raw targets used as they are in −Σ_k ỹ_k log softmax(z)_k, with no normalisation or sign constraint
    /// (Sucholutsky &amp; Schonlau, soft-label DD; Li et al. 2020).</summary>
    Targets,
    /// <summary>Logits; the target is softmax(ŷ) at temperature 1 (DATM's learned labels, TESLA's teacher labels).</summary>
    Logits,
}

/// <summary>Per-image label targets of a small set, shape (N, K): learned label matrices (SLD), learned logits
/// (DATM) or a teacher's logits (TESLA). Every evaluation protocol trains on <see cref="Targets()"/> with soft
/// cross-entropy (−Σ_k p_k log softmax(z)_k, batch mean).</summary>
public sealed record SoftLabels(Tensor Values, SoftLabelKind Kind, string Source)
{
    /// <summary>The training targets: the raw values (<see cref="SoftLabelKind.Targets"/>) or softmax of the logits.
    /// Differentiable with respect to <see cref="Values"/>.</summary>
    public Tensor Targets() => Targets(Values, Kind);

    public static Tensor Targets(Tensor values, SoftLabelKind kind) => kind == SoftLabelKind.Logits ? values.Softmax(1) : values.Alias();

    /// <summary>Checks the shape (N, K) and that every value is finite; the message names the field.</summary>
    public void Validate(string path, long images, int classes)
    {
        var s = Values.Shape;
        if (s.Length != 2 || s[0] != images || s[1] != classes)
            throw new InvalidDataException($"{path}: 'soft_labels' is [{string.Join(",", s)}], expected [{images},{classes}] (images × classes)");
        using var scope = new TensorScope();
        using var noGrad = Tensors.NoGrad();
        if (Values.IsFinite().LogicalNot().Sum().Item() != 0)
            throw new InvalidDataException($"{path}: 'soft_labels' holds NaN or infinite values");
    }

    /// <summary>The <paramref name="k"/> largest targets of image <paramref name="i"/>, largest first.</summary>
    public (int Class, double Value)[] Top(int i, int k)
    {
        using var scope = new TensorScope();
        using var noGrad = Tensors.NoGrad();
        var row = Targets().Select(0, i).To(DType.Float64, Device.Cpu).ToArray<double>();
        return row.Select((v, c) => (c, v)).OrderByDescending(p => p.v).ThenBy(p => p.c).Take(k).ToArray();
    }

    internal void AddTo(List<KeyValuePair<string, Tensor>> tensors, Dictionary<string, string> meta)
    {
        tensors.Add(new("soft_labels", Values.Detach().To(DType.Float32, Device.Cpu).Contiguous()));
        meta["soft_labels.kind"] = Kind == SoftLabelKind.Logits ? "logits" : "targets";
        meta["soft_labels.source"] = Source;
    }

    internal static SoftLabels? ReadFrom(string path, Dictionary<string, Tensor> tensors, Dictionary<string, string> meta)
    {
        if (!tensors.TryGetValue("soft_labels", out var values)) return null;
        var kind = meta.TryGetValue("soft_labels.kind", out var k) ? k : throw new InvalidDataException($"{path}: metadata field 'soft_labels.kind' missing (expected 'targets' or 'logits')");
        return new SoftLabels(values.To(DType.Float32, Device.Cpu), kind switch
        {
            "targets" => SoftLabelKind.Targets,
            "logits" => SoftLabelKind.Logits,
            _ => throw new InvalidDataException($"{path}: metadata field 'soft_labels.kind' is '{k}', expected 'targets' or 'logits'"),
        }, meta.TryGetValue("soft_labels.source", out var src) ? src : "unknown");
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Source} {Kind.ToString().ToLowerInvariant()} {Values}");
}
