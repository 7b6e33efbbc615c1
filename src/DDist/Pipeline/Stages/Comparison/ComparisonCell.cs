using DDist.Recipes;

namespace DDist.Pipeline.Stages.Comparison;

/// <summary>One cell of a comparison, a method at one IPC, and where its files are: RUN/ipcN/METHOD/ holds the set
/// (synthetic.safetensors for DC/DSA/DM/MTT, selected.safetensors for the real-image methods, imported.safetensors for a
/// row of the recipe's 'sets'), made.json (what making it cost) and eval.json (its evaluation).</summary>
public sealed record ComparisonCell(string Method, int Ipc)
{
    /// <summary>Every method at every IPC (a row of the recipe's 'sets' at the IPCs it gives), IPC-major: the table's
    /// row order and the stages' task numbers.</summary>
    public static IReadOnlyList<ComparisonCell> Of(ComparisonRecipe recipe) =>
        recipe.Ipcs.SelectMany(ipc => recipe.Methods.Where(m => !recipe.IsImported(m) || recipe.GivesSet(m, ipc)).Select(m => new ComparisonCell(m, ipc))).ToList();

    public bool Distilled => Method is "dc" or "dsa" or "dm" or "mtt";
    /// <summary>A row of the recipe's 'sets': made elsewhere, copied in (validation allows no other unknown method).</summary>
    public bool Imported => !ComparisonRecipe.KnownMethods.Contains(Method);

    public string Dir(RunFolder folder) => folder.Combine($"ipc{Ipc}", Method);
    public string SetPath(RunFolder folder) => Path.Combine(Dir(folder), Imported ? "imported.safetensors" : Distilled ? "synthetic.safetensors" : "selected.safetensors");
    public string MadePath(RunFolder folder) => Path.Combine(Dir(folder), "made.json");
    public string EvalPath(RunFolder folder) => Path.Combine(Dir(folder), "eval.json");
    /// <summary>Where the set's evaluation with another architecture is kept: eval-arch/KEY/ (its networks) and
    /// eval-arch/KEY/eval.json, KEY as <see cref="Recipes.EvalSettings.CrossArchitectureKey(string)"/> names it.</summary>
    public string ArchDir(RunFolder folder, string key) => Path.Combine(Dir(folder), "eval-arch", key);
    public string ArchEvalPath(RunFolder folder, string key) => Path.Combine(ArchDir(folder, key), "eval.json");

    public override string ToString() => $"{Method} at IPC {Ipc}";
}
