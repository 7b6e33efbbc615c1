namespace DDist.Tests;

/// <summary>Tests that reseed libtorch's global generator and compare two draws must not interleave with tests
/// that draw from it on other threads; xunit runs a collection with parallelisation disabled on its own.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialRngCollection
{
    public const string Name = "Serial global RNG";
}
