namespace DDist.Torch.Tests;

/// <summary>Tests that read or change process-wide state (the live-tensor counters, RSS, the global RNG, the
/// thread count) run in this collection: xunit runs it alone, after the parallel collections.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Process-wide state";
}
