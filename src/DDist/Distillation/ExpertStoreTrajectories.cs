using DDist.Torch;
using DDist.Training.Experts;

namespace DDist.Distillation;

/// <summary>The trajectories of an <see cref="ExpertStore"/> directory (one snapshot read from disk per call).</summary>
public sealed class ExpertStoreTrajectories(ExpertStore store) : IExpertTrajectories
{
    public static ExpertStoreTrajectories Open(string directory) => new(ExpertStore.Open(directory));

    public ExpertStore Store => store;
    public int ExpertCount => store.Count;
    public int EpochCount => store.Config.Epochs;
    public Tensor Read(int expert, int epoch) => store.ReadEpoch(expert, epoch);
}
