namespace DDist.Evaluation;

/// <summary>How much training one evaluation of a small set gets: epochs per network and how many freshly
/// initialised networks are trained (the mean and std are over those networks).</summary>
/// <param name="OnlyNetwork">Train only network k of the <paramref name="Nets"/> (seeded as in the full evaluation), so
/// the networks can run as separate scheduler tasks; null: all.</param>
public sealed record EvalBudget(int Epochs, int Nets, int? OnlyNetwork = null)
{
    /// <summary>Training cost in image presentations: (epochs + 1) × images × networks, as every evaluation network
    /// trains Epochs+1 epochs (<see cref="EvalProtocol.ToTrainOptions"/>, the reference's loop).</summary>
    public long Cost(int images) => (long)(Epochs + 1) * images * Nets;
}
