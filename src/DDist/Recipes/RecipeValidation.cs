using DDist.Selection;

namespace DDist.Recipes;

/// <summary>Checks a recipe without touching data or training anything: every section checks its own fields (the
/// stage settings it is made of validate themselves, naming the recipe path), and this adds what spans sections:
/// the sizes against the dataset's smallest class (IPC, the validation split, windows against class ends) and the
/// compared rows.</summary>
public static class RecipeValidation
{
    public static List<string> Check(Recipe r, bool scoreFileElsewhere = false)
    {
        var e = new FieldErrors();
        e.Need(!string.IsNullOrWhiteSpace(r.Name), "name", "is empty");
        var spec = RecipeChecks.Dataset(e, r.Dataset);
        e.Need(r.Ipc >= 1, "ipc", $"is {r.Ipc}, expected ≥ 1");
        RecipeChecks.FitsSmallestClass(e, "ipc", r.Ipc, spec);

        r.Experts.Check(e.In("experts"), spec);
        r.Scores?.Check(e.In("scores"), spec, fileFound: r.Scores.File is null || scoreFileElsewhere || r.ResolveScoreFile() is not null);
        r.Window?.Check(e.In("window"));
        // The Window-only and SelMatch rows are cut by difficulty at a β the window search chooses; MTT and Random need
        // neither (an MTT recipe leaves the sections out, and its run scores and searches nothing).
        string? cutBy = r.Compare.FirstOrDefault(c => c is "window" or "selmatch");
        if (cutBy is not null)
        {
            e.Need(r.Scores is not null, "scores", $"is missing: compare holds '{cutBy}', which is cut from classes ranked by difficulty scores");
            e.Need(r.Window is not null, "window", $"is missing: compare holds '{cutBy}', whose β the sliding-window search chooses");
        }
        if (r.Compare.Contains("selmatch"))
            e.Need(r.Distill.DistilledFraction is not null, "distill.alpha", "is missing: compare holds 'selmatch', which distils the fraction α of each class's window");
        r.Distill.Check(e.In("distill"), r.Experts.Epochs, spec);
        r.Evaluation.Check(e.In("evaluation"), spec);

        var d = r.Distill;
        bool splitFits = spec is null || d.SelectOn != "validation" || r.Ipc + d.ValidationPerClass <= spec.SmallestTrainClass;
        if (spec is not null)
            e.Need(splitFits, "distill.validationPerClass",
                   $"is {d.ValidationPerClass}: with IPC {r.Ipc} it needs more than the {spec.SmallestTrainClass} images of the smallest class");

        // With a validation split, each class's windows are cut from what is left of it (nothing to say of them when the
        // split itself does not fit).
        if (spec is not null && splitFits && r.Window is { Offset: "fraction-of-class", Overflow: "reject" } window)
        {
            int smallest = spec.SmallestTrainClass;
            int left = d.SelectOn == "validation" ? smallest - d.ValidationPerClass : smallest;
            foreach (var beta in window.Betas.Concat(d.Beta is double b0 ? [b0] : []))
                e.Need(WindowOffsetMath.FloorProduct(left, beta) + r.Ipc <= left, "window.betas",
                       $"holds β = {beta}: with fraction-of-class the window [{WindowOffsetMath.FloorProduct(left, beta)}, +{r.Ipc}) runs past the smallest class ({left} images{(left < smallest ? " outside the validation split" : "")}); lower β or set window.overflow to 'shift-back'");
        }

        string[] known = ["random", "window", "mtt", "selmatch"];
        e.Need(r.Compare.Length > 0, "compare", $"is empty, expected some of {string.Join(", ", known)} (the rows of the table the run ends with)");
        foreach (var c in r.Compare)
            e.Need(known.Contains(c), "compare", $"holds '{c}', expected some of {string.Join(", ", known)}");
        foreach (var twice in r.Compare.GroupBy(c => c).Where(g => g.Count() > 1))
            e.Need(false, "compare", $"holds '{twice.Key}' {twice.Count()} times; each row once");
        return [.. e.All];
    }
}
