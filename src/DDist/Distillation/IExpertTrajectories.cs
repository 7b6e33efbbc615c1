using DDist.Torch;

namespace DDist.Distillation;

/// <summary>Expert training trajectories as trajectory matching reads them: per expert, the flat parameter
/// vector after each epoch (index 0 = initialisation). Implementations stream one snapshot at a time.</summary>
public interface IExpertTrajectories
{
    int ExpertCount { get; }
    /// <summary>Epochs each expert trained; snapshots 0..EpochCount can be read.</summary>
    int EpochCount { get; }
    /// <summary>The flat parameter vector of <paramref name="expert"/> after <paramref name="epoch"/> epochs (a new tensor).</summary>
    Tensor Read(int expert, int epoch);
}
