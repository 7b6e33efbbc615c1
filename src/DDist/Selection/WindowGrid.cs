namespace DDist.Selection;

/// <summary>What the sliding-window search and successive halving share (SelMatch, Lee et al. ICML 2024,
/// `scripts/sliding_window`): the β grid, the window's size and reading, the seed of the scoring networks, and what
/// they are scored on and with. Both options types derive from it and take a grid whole, so a recipe builds it once.</summary>
public record WindowGrid
{
    public required IReadOnlyList<double> Betas { get; init; }
    public required int Ipc { get; init; }
    public WindowOffset Offset { get; init; } = WindowOffset.FractionOfIpc;
    public WindowOverflow Overflow { get; init; } = WindowOverflow.Reject;
    /// <summary>Every β is evaluated with the same seed, so the networks' initialisations are shared across β.</summary>
    public int Seed { get; init; }
    /// <summary>What the accuracies are measured on, and so what β is chosen on: a validation split held out of every
    /// window, or the test set (SelMatch's sliding-window protocol, labelled as such in every output).</summary>
    public string EvaluatedOn { get; init; } = "test";
    /// <summary>How the scoring networks train (protocol, model, augmentation); part of the fingerprint, so results of
    /// another protocol are never reused.</summary>
    public string EvaluatedWith { get; init; } = "";
    public required string Normalization { get; init; }

    /// <summary>Every problem of the grid (field names as in the recipe's window section where it has them).</summary>
    public void Check(FieldErrors e)
    {
        CheckBetas(e, Betas);
        e.Need(Ipc >= 1, "ipc", $"is {Ipc}, expected ≥ 1");
    }

    /// <summary>A β grid: not empty, every β in [0, 1], none repeated (a recipe's window.betas is checked here too).</summary>
    public static void CheckBetas(FieldErrors e, IReadOnlyList<double> betas)
    {
        e.Need(betas.Count > 0, "betas", "is empty");
        e.Need(betas.All(b => b is >= 0 and <= 1), "betas", $"holds [{string.Join(", ", betas)}], expected values in [0, 1]");
        e.Need(betas.Distinct().Count() == betas.Count, "betas", "repeats a value");
    }
}
