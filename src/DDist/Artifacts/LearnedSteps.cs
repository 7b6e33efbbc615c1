using System.Globalization;
using DDist.Torch;

namespace DDist.Artifacts;

/// <summary>The learned schedule of DD / soft-label DD (Wang et al. 2018, `train_distilled_image.py`): the set's
/// images split, in order, into <see cref="ImageSteps"/> equal chunks; training takes exactly
/// <see cref="Lrs"/>.Length plain GD steps, step t on chunk t mod ImageSteps with step size Lrs[t].</summary>
/// <param name="FixedInit">DD's known initialisation (`known_init`): the flat starting weights the steps were learned
/// for, which its evaluation starts every network from (`same_as_train`); null when networks start fresh. Tensor
/// <c>step_init</c>: without it such a set cannot be evaluated as it was made.</param>
public sealed record LearnedSteps(double[] Lrs, int ImageSteps, float[]? FixedInit = null)
{
    public int StepCount => Lrs.Length;

    /// <summary>The (start, count) of the images step t trains on, for a set of <paramref name="images"/> images.</summary>
    public (long Start, long Count) Chunk(int t, long images)
    {
        long per = images / ImageSteps;
        return ((t % ImageSteps) * per, per);
    }

    public void Validate(string path, long images)
    {
        if (ImageSteps < 1 || images % ImageSteps != 0)
            throw new InvalidDataException($"{path}: metadata field 'steps.images' is {ImageSteps}; expected a positive divisor of the {images} images");
        if (Lrs.Length < 1 || Lrs.Any(v => !double.IsFinite(v)))
            throw new InvalidDataException($"{path}: 'step_lrs' must hold at least one finite step size, got [{string.Join(", ", Lrs)}]");
        if (FixedInit is not null && (FixedInit.Length == 0 || FixedInit.Any(v => !float.IsFinite(v))))
            throw new InvalidDataException($"{path}: tensor 'step_init' must hold finite starting weights");
    }

    internal void AddTo(List<KeyValuePair<string, Tensor>> tensors, Dictionary<string, string> meta)
    {
        tensors.Add(new("step_lrs", Tensors.FromArray(Lrs)));
        if (FixedInit is not null) tensors.Add(new("step_init", Tensors.FromArray(FixedInit)));
        meta["steps.images"] = ImageSteps.ToString(CultureInfo.InvariantCulture);
    }

    internal static LearnedSteps? ReadFrom(string path, Dictionary<string, Tensor> tensors, Dictionary<string, string> meta)
    {
        if (!tensors.TryGetValue("step_lrs", out var lrs)) return null;
        if (!meta.TryGetValue("steps.images", out var s) || !int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var steps))
            throw new InvalidDataException($"{path}: metadata field 'steps.images' missing or not an integer");
        float[]? init = tensors.TryGetValue("step_init", out var w) ? w.To(DType.Float32, Device.Cpu).ToArray<float>() : null;
        return new LearnedSteps(lrs.To(DType.Float64, Device.Cpu).ToArray<double>(), steps, init);
    }
}
