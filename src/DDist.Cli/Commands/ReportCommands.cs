using System.CommandLine;
using DDist.Artifacts;
using DDist.Reporting;
using DDist.Torch.IO;

namespace DDist.Cli.Commands;

/// <summary>`ddist report DIR` redraws a finished run's report from its saved files alone (no dataset, no stage re-run); `ddist show SET --out grid.png`
/// draws a small set as a PNG grid, one row per class, denormalised (distilled images framed in orange).</summary>
public static class ReportCommands
{
    public static Command CreateReport(GlobalOptions globals)
    {
        var dir = new Argument<string>("dir") { Description = "Output folder of `ddist run` / `ddist demo`" };
        var cmd = new Command("report", "Write DIR/report.md and DIR/report.html (table, plots, image grids) from a SelMatch/MTT, DATM/TESLA or DD/SLD run's saved files, without the dataset") { dir };
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var d = parse.GetValue(dir)!;
            var kind = SingleSetRunKind(d);
            if (kind is null) RequireSelMatchRun(d);
            // Only the saved files are read: no dataset, no stage is run.
            var report = kind switch
            {
                DDist.Recipes.RecipeKind.SoftLabel => SoftLabelReport.Write(d),
                DDist.Recipes.RecipeKind.Unrolled => UnrolledReport.Write(d),
                _ => RunReport.Rebuild(d),
            };
            var html = Path.Combine(d, HtmlReport.ReportFile);
            ctx.WriteResult(new { report = Path.GetFullPath(report), html = Path.GetFullPath(html) },
                w => w.WriteLine($"report: {Path.GetFullPath(report)}\nhtml: {Path.GetFullPath(html)}"));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>A folder of another kind of recipe has its own result files, which its own command writes: say which,
    /// rather than that pipeline.json is missing.</summary>
    private static void RequireSelMatchRun(string dir)
    {
        var recipe = Path.Combine(dir, DDist.Pipeline.FolderRecipe.FileName);
        if (File.Exists(Path.Combine(dir, DDist.Pipeline.PipelineState.FileName)) || !File.Exists(recipe)) return;
        string? results = DDist.Recipes.ComparisonRecipe.IsComparison(recipe)
            ? $"a comparison, whose table is {Path.Combine(dir, DDist.Pipeline.ComparisonRunner.MarkdownFile)} (with .json and .png), written by `ddist compare` or `ddist run` on its recipe"
            : RecipeKindCheck.Of(recipe) switch
            {
                _ => null,
            };
        if (results is not null) throw new CliException($"{dir} holds {results}; `ddist report` draws the report of a SelMatch/MTT, DATM/TESLA or DD/SLD run");
    }

    /// <summary>The kind of a DATM/TESLA or DD/SLD folder (one distilled set, its own report), from its recipe.json;
    /// null for any other folder.</summary>
    private static DDist.Recipes.RecipeKind? SingleSetRunKind(string dir)
    {
        var recipe = Path.Combine(dir, DDist.Pipeline.FolderRecipe.FileName);
        if (!File.Exists(recipe) || File.Exists(Path.Combine(dir, DDist.Pipeline.PipelineState.FileName)) || DDist.Recipes.ComparisonRecipe.IsComparison(recipe)) return null;
        return RecipeKindCheck.Of(recipe) is (DDist.Recipes.RecipeKind.SoftLabel or DDist.Recipes.RecipeKind.Unrolled) and var kind ? kind : null;
    }

    public static Command CreateShow(GlobalOptions globals)
    {
        var set = new Argument<string>("set") { Description = "A small-set file (.safetensors) made by select, distill or run" };
        var perClass = new Option<int>("--per-class") { Description = "Images per class row", DefaultValueFactory = _ => 10 };
        var cmd = new Command("show", "Draw a small set as a PNG grid, one row per class (needs --out FILE.png)") { set, perClass };
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var path = parse.GetValue(set)!;
            InputFile.Require(path, "small-set file");
            var outPath = ctx.RequireOut("show", "FILE.png");
            if (!Path.GetExtension(outPath).Equals(".png", StringComparison.OrdinalIgnoreCase))   // the bytes are PNG, whatever the name says
                throw new CliException($"--out {outPath}: show writes a PNG; name the file FILE.png");
            int n = parse.GetValue(perClass);
            if (n < 1) throw new CliException($"--per-class {n}: must be at least 1");
            using var s = SmallSet.Load(path);
            var normalization = NormalizationText.TryResolve(s.Info.Normalization);
            using var canvas = Render(path, s, n, normalization);
            PngFile.Save(canvas, outPath);
            var top = SoftLabelText.TopLabels(s, 3);
            ctx.WriteResult(new { png = Path.GetFullPath(outPath), width = canvas.Width, height = canvas.Height,
                                  soft_labels = s.SoftLabels is null ? null : new { kind = s.SoftLabels.Kind.ToString().ToLowerInvariant(), source = s.SoftLabels.Source, top } },
                w =>
                {
                    w.WriteLine($"{Path.GetFullPath(outPath)}: {canvas.Width}×{canvas.Height}, {s.Info.NumClasses} classes × up to {n} images" +
                                (s.Zca is not null ? " (ZCA-whitened: drawn through the inverse transform the set carries)"
                                 : normalization is null ? $" (normalisation '{s.Info.Normalization}' unknown: drawn min–max per image)" : ""));
                    SoftLabelText.Write(w, s, top);
                });
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>The grid; a set whose images do not fit the normalisation it names is bad data in its file.</summary>
    private static SkiaSharp.SKBitmap Render(string path, SmallSet set, int perClass, DDist.Data.Normalization? normalization)
    {
        try { return ImageGrid.Render(set, new GridOptions { PerClass = perClass }, normalization); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}"); }
    }
}
