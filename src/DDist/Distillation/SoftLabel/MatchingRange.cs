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
        var e = new FieldErrors();
        Check(e, expertEpochs, matchEpochs);
        return [.. e.All];
    }

    /// <summary>Every problem, named under the errors' section (a DATM recipe's `matching`).</summary>
    public void Check(FieldErrors e, int expertEpochs, int matchEpochs)
    {
        e.Need(Min >= 0, "minStartEpoch", $"is {Min}, expected ≥ 0");
        e.Need(Max > Min, "maxStartEpoch", $"is {Max}, expected > minStartEpoch ({Min})");
        e.Need(Max - 1 + matchEpochs <= expertEpochs, "maxStartEpoch",
               $"is {Max} with expertEpochs {matchEpochs}: needs snapshot {Max - 1 + matchEpochs}, the experts have {expertEpochs} epochs");
        if (Sequential)
        {
            e.Need(CurrentMax > Min && CurrentMax <= Max, "currentMaxStartEpoch", $"is {CurrentMax}, expected in ({Min}, {Max}]");
            e.Need(ExpansionEnd >= 1, "expansionEndEpoch", $"is {ExpansionEnd}, expected ≥ 1");
        }
    }
}
