using DDist.Recipes;
using DDist.Selection;

namespace DDist.Pipeline.Stages;

/// <summary>The output folder of a recipe run and where each stage keeps its artefacts in it. The layout is the one
/// every earlier version wrote, so their folders resume unchanged.</summary>
public sealed class RunFolder(string path)
{
    public string Path { get; } = path;

    public string Experts => Combine("experts");
    public string Forgetting => Combine("forgetting");
    public string Scores => Combine("scores.safetensors");
    public string Window => Combine("window");
    /// <summary>A score kind's scores: scores.safetensors when the recipe names one kind; scores-KIND.safetensors each
    /// when it lists several for the window search to choose among.</summary>
    public string ScoresFor(Recipe recipe, ScoreKind kind) => recipe.SearchesScoreKinds ? Combine($"scores-{kind.FileName()}.safetensors") : Scores;
    /// <summary>A score kind's window points: window/ for one kind, window/KIND/ each for several (window/window.json
    /// then sums up every kind's).</summary>
    public string WindowFor(Recipe recipe, ScoreKind kind) => recipe.SearchesScoreKinds ? Combine("window", kind.FileName()) : Window;
    public string Halving => Combine("halving");
    public string HalvingSummary => Combine("halving.json");
    /// <summary>The ZCA transform of a recipe that whitens, fitted once and read by every process of the run.</summary>
    public string Zca => Combine(RunData.ZcaFile);
    public string RandomSet => Combine("random.safetensors");
    public string WindowSet => Combine("window.safetensors");
    /// <summary>The training indices of the validation split (when the recipe selects on validation).</summary>
    public string Validation => Combine("validation.json");

    /// <summary>A distillation's folder (synthetic.safetensors, loss.json, distill.json, checkpoints).</summary>
    public string Method(string method) => Combine(method);

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>pipeline.json as it is on disk now (other processes of the same run may have added to it), or null.</summary>
    public PipelineState? State() => File.Exists(Combine(PipelineState.FileName)) ? PipelineState.Load(Path) : null;

    /// <summary>True when pipeline.json records the stage time <paramref name="label"/> (written after the stage's outputs).</summary>
    public bool Recorded(string label) => State()?.Done(label) == true;

    /// <summary>When the set a compared row evaluates was made, for the rows whose set a later run may make again (the
    /// distilled ones, kept as METHOD/synthetic.safetensors: a removed METHOD/ folder is distilled anew): its
    /// synthetic.json's CreatedUtc. Null for the other rows (Random and Window only are kept beside pipeline.json) and
    /// while the set is missing.</summary>
    public string? SetMade(string row)
    {
        var path = Combine(Method(row), "synthetic.json");
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.TryGetProperty("CreatedUtc", out var made) ? made.GetString() : null;
        }
        catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e); }
    }

    /// <summary>Whether <paramref name="rows"/> hold row <paramref name="key"/> evaluated on the set the folder holds now
    /// (a row recorded before sets were named, or of a set no stage makes again, counts as such).</summary>
    public bool Evaluated(IReadOnlyDictionary<string, PipelineState.EvaluatedRow>? rows, string key) =>
        rows is not null && rows.TryGetValue(key, out var row) && (row.SetMade is null || row.SetMade == SetMade(key));
}
