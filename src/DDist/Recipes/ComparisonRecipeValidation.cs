namespace DDist.Recipes;

/// <summary>Checks a comparison recipe without touching data: every section checks its own fields (the stage settings
/// it is made of validate themselves, naming the recipe path) when a listed method uses it, and this adds the rest:
/// methods, every IPC against the smallest class (of the subset, when one is set).</summary>
public static class ComparisonRecipeValidation
{
    public static List<string> Check(ComparisonRecipe r)
    {
        var e = new FieldErrors();
        e.Need(r.Kind == ComparisonRecipe.KindName, "kind", $"is '{r.Kind}', expected '{ComparisonRecipe.KindName}'");
        e.Need(!string.IsNullOrWhiteSpace(r.Name), "name", "is empty");
        var spec = RecipeChecks.Dataset(e, r.Dataset);
        int? smallest = spec?.SmallestTrainClass;
        e.Need(r.TrainPerClass is null or >= 1, "trainPerClass", $"is {r.TrainPerClass}, expected ≥ 1 or null (all)");
        e.Need(r.TestPerClass is null or >= 1, "testPerClass", $"is {r.TestPerClass}, expected ≥ 1 or null (all)");
        if (r.TrainPerClass is int tpc0) RecipeChecks.FitsSmallestClass(e, "trainPerClass", tpc0, spec);
        int? limit = r.TrainPerClass is int tpc && (smallest is null || tpc < smallest) ? tpc : smallest;

        e.Need(r.Ipcs.Length > 0, "ipcs", "is empty");
        e.Need(r.Ipcs.Distinct().Count() == r.Ipcs.Length, "ipcs", "repeats a value");
        foreach (var ipc in r.Ipcs)
        {
            e.Need(ipc >= 1, "ipcs", $"holds {ipc}, expected ≥ 1");
            if (limit is int l)
                e.Need(ipc <= l, "ipcs", $"holds {ipc}, larger than the smallest class ({l} images{(r.TrainPerClass is null ? "" : " with trainPerClass")})");
        }

        e.Need(r.Methods.Length > 0, "methods", "is empty");
        e.Need(r.Methods.Distinct().Count() == r.Methods.Length, "methods", "repeats a value");
        foreach (var m in r.Methods.Where(m => !r.IsImported(m)))
        {
            if (ComparisonRecipe.OwnRecipeMethods.Contains(m))
                e.AddRaw($"field 'methods' holds '{m}', which a comparison does not run; run it with its own recipe: " +
                         (m == "selmatch" ? "a SelMatch recipe (`ddist run RECIPE`)" : $"a DATM/TESLA recipe (`ddist distill RECIPE --method {m}`)") +
                         $", and give its sets in 'sets.{m}' to table them here");
            else e.Need(ComparisonRecipe.KnownMethods.Contains(m), "methods", $"holds '{m}', expected some of {string.Join(", ", ComparisonRecipe.KnownMethods)} or a name of 'sets'");
        }
        foreach (var (name, byIpc) in r.Sets ?? [])
        {
            e.Need(!ComparisonRecipe.KnownMethods.Contains(name), $"sets.{name}", $"names a row the comparison makes itself; give the imported one another name (e.g. '{name}-imported')");
            e.Need(name.Length > 0 && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.') && name[0] != '.',
                   $"sets.{name}", "is not a row name: lower-case letters, digits, '-', '_' and '.' (it names the cell's folder)");
            foreach (var key in byIpc.Keys)
                if (!int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ipc) || ipc < 1)
                    e.AddRaw($"field 'sets.{name}' has the key '{key}', expected an IPC (a whole number ≥ 1)");
            e.Need(byIpc.Count > 0, $"sets.{name}", "gives no set");
        }

        foreach (var (name, g) in new[] { ("dc", r.Dc), ("dsa", r.Dsa) })
            if (r.Methods.Contains(name)) g.Check(e.In(name), spec, r.Ipcs);
        if (r.Methods.Contains("dm")) r.Dm.Check(e.In("dm"), spec);
        if (r.Methods.Contains("mtt"))
        {
            e.Need(r.Mtt is not null, "mtt", "is missing: methods holds 'mtt', which needs its experts and matching settings (the section's 'experts', 'iterations', 'synSteps', 'maxStartEpoch', …)");
            r.Mtt?.Check(e.In("mtt"), spec, r.Ipcs);
            if (r.Mtt?.Experts.TrainPerClass is int ept && r.TrainPerClass is int tpcMtt)
                e.Need(ept <= tpcMtt, "mtt.experts.trainPerClass", $"is {ept}, more than the comparison's trainPerClass ({tpcMtt})");
        }
        if (r.Methods.Any(m => m is "herding" or "herding-argmax" or "kcenter") || r.Coverage.ReferencePerClass > 0)
        {
            RecipeChecks.Model(e, "coreset.model", r.Coreset.Model, spec);
            r.Coreset.Check(e.In("coreset"));
        }
        if (r.Methods.Contains("forgetting"))
        {
            if (r.Forgetting.Model is string fm) RecipeChecks.Model(e, "forgetting.model", fm, spec);
            r.Forgetting.Check(e.In("forgetting"));
        }
        e.Need(r.Coverage.ReferencePerClass is 0 or >= 2, "coverage.referencePerClass", $"is {r.Coverage.ReferencePerClass}, expected 0 (off) or ≥ 2");
        r.Evaluation.Check(e.In("evaluation"), spec, r.Ipcs);
        r.Ranking?.Check(e.In("ranking"), r, limit);
        return [.. e.All];
    }

    /// <summary>What only the whole recipe file is checked for (a run of some of its cells, `--ipc`, picks fewer IPCs):
    /// every set of 'sets' is for one of its IPCs, so a mistyped IPC is named rather than never tabled.</summary>
    public static List<string> CheckFile(ComparisonRecipe r) =>
        (r.Sets ?? []).SelectMany(row => row.Value.Keys.Where(k => int.TryParse(k, out var ipc) && ipc >= 1 && !r.Ipcs.Contains(ipc))
                          .Select(k => $"field 'sets.{row.Key}' gives a set for IPC {k}, which 'ipcs' does not list ({string.Join(", ", r.Ipcs)})")).ToList();
}
