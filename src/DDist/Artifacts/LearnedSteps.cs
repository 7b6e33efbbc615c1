using System.Globalization;
using DDist.Torch;

namespace DDist.Artifacts;

/// <summary>The learned schedule of DD / soft-label DD (Wang et al. 2018, `train_distilled_image.py`): the set's
/// images split, in order, into <see cref="ImageSteps"/> equal chunks; training takes exactly
/// <see cref="Lrs"/>.Length plain GD steps, step t on chunk t mod ImageSteps with step size Lrs[t].</summary>
public sealed record LearnedSteps(double[] Lrs, int ImageSteps)
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
    }

    internal void AddTo(List<KeyValuePair<string, Tensor>> tensors, Dictionary<string, string> meta)
    {
        tensors.Add(new("step_lrs", Tensors.FromArray(Lrs)));
        meta["steps.images"] = ImageSteps.ToString(CultureInfo.InvariantCulture);
    }

    internal static LearnedSteps? ReadFrom(string path, Dictionary<string, Tensor> tensors, Dictionary<string, string> meta)
    {
        if (!tensors.TryGetValue("step_lrs", out var lrs)) return null;
        if (!meta.TryGetValue("steps.images", out var s) || !int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var steps))
            throw new InvalidDataException($"{path}: metadata field 'steps.images' missing or not an integer");
        return new LearnedSteps(lrs.To(DType.Float64, Device.Cpu).ToArray<double>(), steps);
    }
}
