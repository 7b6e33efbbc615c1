namespace DDist.Training;

/// <summary>Derives independent seeds from one run seed, so that every unit of work (expert k, evaluation
/// network i) has its own stream regardless of which other units run, in which order or on which shard.
/// SplitMix64 finalisers over (seed, stream, index).</summary>
public static class SeedSequence
{
    public static ulong Derive(ulong seed, string stream, long index)
    {
        ulong h = Mix(seed ^ 0x9E3779B97F4A7C15UL);
        foreach (char c in stream) h = Mix(h ^ c);
        return Mix(h ^ (ulong)index);
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
