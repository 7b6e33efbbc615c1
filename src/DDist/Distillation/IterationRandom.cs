namespace DDist.Distillation;

/// <summary>Host-side random choices (which expert, which start epoch) derived from (seed, iteration) alone, so the
/// host generator's whole state is the iteration number: a resumed run draws exactly what an uninterrupted one would.</summary>
public static class IterationRandom
{
    public static Random For(int seed, int iteration)
    {
        // SplitMix64 finaliser over the pair; System.Random(int) is deterministic for a given seed.
        ulong z = unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL + (ulong)(uint)iteration + 0x632BE59BD9B4E019UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return new Random((int)(z & 0x7FFFFFFF));
    }
}
