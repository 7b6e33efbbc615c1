namespace DDist.Selection;

/// <summary>Which difficulty measure a score array holds.</summary>
public enum ScoreKind
{
    /// <summary>Consistency score (Jiang et al. 2021): expected held-out accuracy; low = atypical = hard.</summary>
    CScore,
    /// <summary>Forgetting events (Toneva et al. 2019) per example; high = hard.</summary>
    Forgetting,
    /// <summary>Learning speed, a training-statistics proxy of the C-score (Jiang et al. 2021): the softmax probability
    /// of the true label averaged over every presentation of training, so examples learned early and kept score high;
    /// low = hard, as the C-score it stands in for.</summary>
    LearningSpeed,
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
    /// <summary>The natural direction of a measure: C-score and learning speed low is hard, forgetting high is hard.</summary>
    public static HardEnd DefaultHardEnd(this ScoreKind kind) => kind switch
    {
        ScoreKind.CScore or ScoreKind.LearningSpeed => HardEnd.Low,
        ScoreKind.Forgetting => HardEnd.High,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Lower-case name as written in score files and recipes ("cscore", "forgetting", "learning-speed").</summary>
    public static string FileName(this ScoreKind kind) => kind switch
    {
        ScoreKind.CScore => "cscore",
        ScoreKind.Forgetting => "forgetting",
        ScoreKind.LearningSpeed => "learning-speed",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static ScoreKind ParseScoreKind(string text, string where) => text.Trim().ToLowerInvariant() switch
    {
        "cscore" or "c-score" or "c_score" => ScoreKind.CScore,
        "forgetting" => ScoreKind.Forgetting,
        "learning-speed" or "learning_speed" => ScoreKind.LearningSpeed,
        _ => throw new InvalidDataException($"{where}: score kind '{text}', expected 'cscore', 'forgetting' or 'learning-speed'"),
    };

    public static HardEnd ParseHardEnd(string text, string where) => text.Trim().ToLowerInvariant() switch
    {
        "low" => HardEnd.Low,
        "high" => HardEnd.High,
        _ => throw new InvalidDataException($"{where}: direction '{text}', expected 'low' or 'high' (the end that is hard)"),
    };

    /// <summary>Whether DDist computes this kind itself from training runs (forgetting, learning speed); a C-score needs
    /// thousands of trainings on held-out splits and is imported.</summary>
    public static bool IsComputed(this ScoreKind kind) => kind is ScoreKind.Forgetting or ScoreKind.LearningSpeed;
}
