using System.CommandLine;
using System.Globalization;
using DDist.Artifacts;
using DDist.Data;
using DDist.Torch.IO;

namespace DDist.Cli.Commands;

/// <summary>`ddist import-set IMAGES.pt --dataset NAME --out SET.safetensors`: a distilled set written by MTT, DATM,
/// TESLA, SelMatch or DC/DSA/DM's own code (torch.save files) becomes a DDist small set, which `ddist eval`, `ddist
/// show` and the comparisons then read like any other.</summary>
public static class ImportSetCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var images = new Argument<string>("IMAGES")
        {
            Description = "A torch.save file (images_best.pt of MTT, DATM, TESLA, SelMatch; DC/DSA/DM's res_*.pt; a pair [images, labels]), " +
                          "or a folder of PNG/JPEG files with one sub-folder per class (by class name or number: RDED's, SRe2L's layout)",
        };
        var dataset = CommonOptions.Dataset();
        var labels = new Option<string?>("--labels") { Description = "labels_best.pt: (N) classes, or (N,K) soft labels (DATM); default: the file's own, else class-ordered blocks as MTT/DC write them" };
        var soft = new Option<string>("--soft-labels") { Description = "What (N,K) labels are: logits (DATM, TESLA: the target is their softmax) or targets (used as they are)", DefaultValueFactory = _ => "logits" };
        var lr = new Option<string?>("--lr") { Description = "The learned step size: a number, or a torch.save file holding one (DATM's lr_best.pt)" };
        var space = new Option<string>("--space") { Description = "normalized (default; the dataset's constants unless --normalization), zca (MTT/DATM --zca: whitened by a fit on the training set) or pixels ([0,1], e.g. MTT's images_zca_*.pt)", DefaultValueFactory = _ => "normalized" };
        var normalization = new Option<string?>("--normalization") { Description = "The constants the images were normalised with, when not the dataset's: " + string.Join(", ", Normalization.Presets.Select(p => p.Name)) };
        var experiment = new Option<int?>("--experiment") { Description = "Which experiment's set of a DC result file (its 'data' list, from 0)" };
        var method = new Option<string>("--method") { Description = "The method name the set records (e.g. mtt, datm, dc)", DefaultValueFactory = _ => "imported" };
        var cmd = new Command("import-set", "Import a distilled set written by PyTorch code (torch.save) as a DDist small set")
            { images, dataset, labels, soft, lr, space, normalization, experiment, method };
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var outPath = ctx.RequireOut("import-set", "SET.safetensors");
            if (Directory.Exists(parse.GetValue(images)))
                return ImportFolder(parse, ctx, parse.GetValue(images)!, parse.GetValue(dataset)!, parse.GetValue(method)!, parse.GetValue(lr), outPath,
                                    [labels, soft, space, normalization, experiment]);
            var spaceValue = parse.GetValue(space) switch
            {
                "normalized" => ImportedSpace.Normalized, "zca" => ImportedSpace.Zca, "pixels" => ImportedSpace.Pixels,
                var v => throw new CliException($"--space {v}: expected normalized, zca or pixels"),
            };
            if (parse.GetValue(normalization) is not null && spaceValue != ImportedSpace.Normalized)
                throw new CliException("--normalization applies to --space normalized only");
            var request = new SetImportRequest
            {
                ImagesPath = parse.GetValue(images)!, LabelsPath = parse.GetValue(labels), Space = spaceValue,
                SoftLabelKind = parse.GetValue(soft) switch
                {
                    "logits" => SoftLabelKind.Logits, "targets" => SoftLabelKind.Targets,
                    var v => throw new CliException($"--soft-labels {v}: expected logits or targets"),
                },
                LearnedLr = parse.GetValue(lr) is { } l ? StepSize(l) : null,
                SourceNormalization = parse.GetValue(normalization) is { } n ? Named(n) : null,
                Experiment = parse.GetValue(experiment), Method = parse.GetValue(method)!,
            };
            InputFile.Require(request.ImagesPath, "torch.save file");   // before the dataset is read
            var raw = DatasetRegistry.Load(parse.GetValue(dataset)!);
            using var set = TorchSetImport.Import(request, raw, () =>
            {
                ctx.Note($"fitting ZCA (ε {ZcaTransform.DefaultEpsilon}) on {raw.Name}'s {raw.Train.Count} training images, as MTT/DATM's --zca does");
                return ZcaTransform.Fit(raw.Train);
            });
            set.Save(outPath);
            var p = set.Info.Parameters;
            ctx.WriteResult(new
            {
                path = outPath, dataset = raw.Name, method = set.Info.Method, images = set.Count, ipc = set.Info.Ipc, source = p["source"], layout = p["layout"],
                labels = p["labels"], softLabels = set.SoftLabels is not null, learnedLr = set.LearnedLr, space = set.Info.Normalization,
                sourceNormalization = p.GetValueOrDefault("source_normalization"),
            }, o => o.WriteLine($"{outPath}: {set.Count} images ({set.Info.Ipc} per class) of {raw.Name} from {request.ImagesPath} ({p["layout"]}); " +
                                $"labels: {p["labels"]}; " + (set.LearnedLr is { } v ? $"learned lr {v.ToString("G6", CultureInfo.InvariantCulture)}; " : "no learned lr; ") +
                                (set.Zca is not null ? "ZCA space (fitted on the training set)" : $"normalisation {set.Info.Normalization}" +
                                 (p.GetValueOrDefault("source_normalization") is { } src && src != set.Info.Normalization ? $" (converted from {src})" : "")) +
                                $". Evaluate it with `ddist eval {outPath} --protocol mtt|dc|sel`"));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>A folder of pictures, one sub-folder per class: [0,1] pixels into the dataset's normalisation.</summary>
    private static int ImportFolder(ParseResult parse, CliContext ctx, string dir, string dataset, string method, string? lr, string outPath, Option[] fileOnly)
    {
        if (fileOnly.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } given)
            throw new CliException($"{given.Name}: applies to torch.save files; {dir} is a folder of pictures (its classes are its sub-folders, its pixels [0,1])");
        double? step = lr is null ? null : StepSize(lr).Item1;
        if (step is double v && !(v > 0 && double.IsFinite(v))) throw new CliException($"--lr {lr}: expected a positive step size");
        var raw = DatasetRegistry.Load(dataset);
        using var set = ImageFolderSetImport.Import(dir, raw, method, step);
        set.Save(outPath);
        ctx.WriteResult(new { path = outPath, dataset = raw.Name, method = set.Info.Method, images = set.Count, ipc = set.Info.Ipc, source = set.Info.Parameters["source"],
                              layout = set.Info.Parameters["layout"], learnedLr = set.LearnedLr, space = set.Info.Normalization },
            o => o.WriteLine($"{outPath}: {set.Count} images ({set.Info.Ipc} per class) of {raw.Name} from the class folders of {dir}; " +
                             $"normalisation {set.Info.Normalization}. Evaluate it with `ddist eval {outPath} --protocol mtt|dc|sel`"));
        return ExitCodes.Ok;
    }

    /// <summary>A number, or a file holding one.</summary>
    private static (double, string) StepSize(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? (v, "--lr " + text) : (TorchSetImport.StepSizeFrom(text), Path.GetFullPath(text));

    private static Normalization Named(string name)
    {
        try { return Normalization.Named(name); }
        catch (ArgumentException e) { throw new CliException("--normalization: " + e.Message); }
    }
}
