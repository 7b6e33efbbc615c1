using DDist.Models;
using DDist.Torch;
using DDist.Training.Experts;

namespace DDist.Distillation;

/// <summary>The trajectories of an <see cref="ExpertStore"/> directory (one snapshot read from disk per call).</summary>
public sealed class ExpertStoreTrajectories(ExpertStore store) : IExpertTrajectories
{
    public static ExpertStoreTrajectories Open(string directory) => new(ExpertStore.Open(directory));

    /// <summary>The trajectories for a run that matches them with <paramref name="student"/> on images in
    /// <paramref name="space"/>: refused, naming the field, when the experts were trained or imported for another
    /// network or space (their parameter vectors would not mean the student's).</summary>
    public static ExpertStoreTrajectories Open(string directory, INetwork student, string space)
    {
        var store = ExpertStore.Open(directory);
        var c = store.Config;
        var json = Path.ChangeExtension(store.Experts[0].TensorPath, ".json");
        if (c.Model != student.Name || c.ParameterCount != student.ParameterCount)
            throw new InvalidDataException($"{json}: field 'config.model' is '{c.Model}' ({c.ParameterCount:N0} parameters), but this run matches them with " +
                                           $"'{student.Name}' ({student.ParameterCount:N0} parameters); the experts must be of the run's network");
        if (c.Normalization != space)
            throw new InvalidDataException($"{json}: field 'config.normalization' is '{c.Normalization}', but this run's images are in '{space}'; " +
                                           "the experts must have trained on images in the run's space");
        return new(store);
    }

    public ExpertStore Store => store;
    public int ExpertCount => store.Count;
    public int EpochCount => store.Config.Epochs;
    public Tensor Read(int expert, int epoch) => store.ReadEpoch(expert, epoch);
}
