namespace DDist.Distillation.SoftLabel;

/// <summary>DATM's start-epoch window (Guo et al. 2024, `distill/DATM.py`): t ~ randint[Min, U − 1]. With sequential
/// generation the upper bound U grows linearly from <see cref="CurrentMax"/> to <see cref="Max"/> over
/// <see cref="ExpansionEnd"/> iterations (easy, early trajectory segments first); otherwise U = Max.</summary>
public sealed record MatchingRange(int Min, int Max, bool Sequential = false, int CurrentMax = 0, int ExpansionEnd = 1)
{
    /// <summary>U at outer iteration <paramref name="iteration"/> (exclusive upper bound of the start epoch).</summary>
    public int UpperBound(int iteration)
    {
        if (!Sequential) return Max;
        int u = CurrentMax + (int)((long)(Max - CurrentMax) * iteration / ExpansionEnd);
        return Math.Min(u, Max);
    }

    public int Draw(Random rng, int iteration) => rng.Next(Min, UpperBound(iteration));

    /// <summary>Every problem, each naming its field; <paramref name="expertEpochs"/> = epochs the experts trained.</summary>
    public List<string> Check(int expertEpochs, int matchEpochs)
    {
        var e = new List<string>();
        if (Min < 0) e.Add($"field 'minStartEpoch' is {Min}, expected ≥ 0");
        if (Max <= Min) e.Add($"field 'maxStartEpoch' is {Max}, expected > minStartEpoch ({Min})");
        if (Max - 1 + matchEpochs > expertEpochs)
            e.Add($"field 'maxStartEpoch' is {Max} with expertEpochs {matchEpochs}: needs snapshot {Max - 1 + matchEpochs}, the experts have {expertEpochs} epochs");
        if (Sequential)
        {
            if (CurrentMax <= Min || CurrentMax > Max) e.Add($"field 'currentMaxStartEpoch' is {CurrentMax}, expected in ({Min}, {Max}]");
            if (ExpansionEnd < 1) e.Add($"field 'expansionEndEpoch' is {ExpansionEnd}, expected ≥ 1");
        }
        return e;
    }
}
