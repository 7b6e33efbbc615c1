using System.Text.Json.Serialization;
using DDist.Distillation;
using DDist.Evaluation;

namespace DDist.Recipes;

/// <summary>Trajectory-matching settings plus how the best iteration is chosen: the set is evaluated at evalIterations
/// and the best one kept (MTT `distill.py` and DATM `distill/DATM.py` save `images_best` the same way, judged on the
/// test set; here on a validation split unless selectOn says "test"). The `distill` section of a SelMatch recipe and
/// the `matching` section of a DATM / TESLA recipe derive from this type, so both read and check these fields alike.</summary>
/// <remarks>The JSON property orders are the ones the SelMatch recipe's spelled-out form (RUN/recipe.json) has always
/// had, so run folders made before this type existed still match.</remarks>
public abstract record SelectingMatchingSettings : TrajectoryMatchingSettings
{
    /// <summary>Iterations (0..iterations) at which the current set is evaluated to pick the best one; empty keeps
    /// the final set.</summary>
    [JsonPropertyOrder(23)] public int[] EvalIterations { get; init; } = [];
    /// <summary>Where the best iteration (and, in a SelMatch run, every other choice) is made: "validation" (a split
    /// carved from the training set before anything is chosen and held out of every small set) or "test" (the
    /// reference protocol: MTT, SelMatch and DATM choose on the test set; every output says so).</summary>
    [JsonPropertyOrder(24)] public string SelectOn { get; init; } = "validation";
    /// <summary>Validation images per class, drawn at random from the training set (with <see cref="SelectOn"/> = validation).</summary>
    [JsonPropertyOrder(25)] public int ValidationPerClass { get; init; } = 100;
    /// <summary>Budget of the evaluations that pick the best iteration.</summary>
    [JsonPropertyOrder(26)] public int SelectionEpochs { get; init; } = 100;
    [JsonPropertyOrder(27)] public int SelectionNets { get; init; } = 1;

    /// <summary>The recipe section these fields are read from ("distill", "matching"), for error messages.</summary>
    protected abstract string SectionName { get; }

    [JsonIgnore] public Distillation.SelectOn SelectOnMode => ParseSelectOn(SelectOn, SectionName + ".selectOn");
    [JsonIgnore] public EvalBudget SelectionBudget => new(SelectionEpochs, SelectionNets);

    /// <summary>Every problem of the selection fields, named under the errors' section.</summary>
    public void CheckSelection(FieldErrors e)
    {
        e.Try("selectOn", () => ParseSelectOn(SelectOn, e.Path("selectOn")));
        e.Need(EvalIterations.All(i => i >= 0 && i <= Iterations), "evalIterations", $"holds values outside [0, {Iterations}]");
        e.Need(ValidationPerClass >= 1, "validationPerClass", $"is {ValidationPerClass}, expected ≥ 1");
        e.Need(SelectionEpochs >= 1 && SelectionNets >= 1, "selectionEpochs", $"epochs {SelectionEpochs} / nets {SelectionNets}: expected ≥ 1");
    }

    /// <param name="field">How the error names the field (e.g. "distill.selectOn").</param>
    public static Distillation.SelectOn ParseSelectOn(string text, string field) => text switch
    {
        "validation" => Distillation.SelectOn.Validation,
        "test" => Distillation.SelectOn.Test,
        _ => throw new ArgumentException($"field '{field}' is '{text}', expected 'validation' or 'test'"),
    };
}
