namespace DDist.Selection;

/// <summary>What forgetting score an example gets when the network never classified it correctly during a run.
/// Toneva et al. (2019, `run_forgetting.py`) count it as forgotten at every presentation, so never-learned examples (often
/// mislabelled or atypical) rank as the hardest; DeepCore (Guo et al. 2022, `methods/forgetting.py`) leaves them at 0,
/// tied with the unforgettable ones, so a most-forgotten selection skips them.</summary>
public enum NeverLearnedRule { MostForgotten, Zero }

public static class NeverLearnedRules
{
    public static string Name(NeverLearnedRule r) => r == NeverLearnedRule.Zero ? "zero" : "most-forgotten";

    public static NeverLearnedRule Parse(string? text, string field) => text switch
    {
        null or "most-forgotten" => NeverLearnedRule.MostForgotten,
        "zero" => NeverLearnedRule.Zero,
        _ => throw new ArgumentException($"field '{field}' is '{text}', expected 'most-forgotten' (Toneva et al.) or 'zero' (DeepCore)"),
    };
}
