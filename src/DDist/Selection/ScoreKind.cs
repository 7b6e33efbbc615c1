namespace DDist.Selection;

/// <summary>Which difficulty measure a score array holds.</summary>
public enum ScoreKind
{
    /// <summary>Consistency score (Jiang et al. 2021): expected held-out accuracy; low = atypical = hard.</summary>
    CScore,
    /// <summary>Forgetting events (Toneva et al. 2019) per example; high = hard.</summary>
    Forgetting,
}

/// <summary>Which end of a score's range holds the hard examples.</summary>
public enum HardEnd
{
    /// <summary>Low values are hard (C-score).</summary>
    Low,
    /// <summary>High values are hard (forgetting counts, mean loss).</summary>
    High,
}

public static class ScoreKindExtensions
{
    /// <summary>The natural direction of a measure: C-score low is hard, forgetting high is hard.</summary>
    public static HardEnd DefaultHardEnd(this ScoreKind kind) => kind switch
    {
        ScoreKind.CScore => HardEnd.Low,
        ScoreKind.Forgetting => HardEnd.High,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Lower-case name as written in score files and recipes ("cscore", "forgetting").</summary>
    public static string FileName(this ScoreKind kind) => kind switch
    {
        ScoreKind.CScore => "cscore",
        ScoreKind.Forgetting => "forgetting",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static ScoreKind ParseScoreKind(string text, string where) => text.Trim().ToLowerInvariant() switch
    {
        "cscore" or "c-score" or "c_score" => ScoreKind.CScore,
        "forgetting" => ScoreKind.Forgetting,
        _ => throw new InvalidDataException($"{where}: score kind '{text}', expected 'cscore' or 'forgetting'"),
    };

    public static HardEnd ParseHardEnd(string text, string where) => text.Trim().ToLowerInvariant() switch
    {
        "low" => HardEnd.Low,
        "high" => HardEnd.High,
        _ => throw new InvalidDataException($"{where}: direction '{text}', expected 'low' or 'high' (the end that is hard)"),
    };
}
