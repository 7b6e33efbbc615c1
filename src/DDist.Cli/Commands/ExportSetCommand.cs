using System.CommandLine;
using DDist.Artifacts;
using DDist.Torch.IO;

namespace DDist.Cli.Commands;

/// <summary>`ddist export-set SET --out DIR`: a DDist small set as images_best.pt / labels_best.pt / lr_best.pt, the
/// files MTT's and DATM's evaluation scripts read (the reverse of `ddist import-set`).</summary>
public static class ExportSetCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var setPath = new Argument<string>("SET") { Description = "A small set (.safetensors) written by any DDist command" };
        var cmd = new Command("export-set", "Write a small set as torch.save files (images_best.pt, labels_best.pt, lr_best.pt) for PyTorch code") { setPath };
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var dir = ctx.RequireOut("export-set", "DIR");
            var path = parse.GetValue(setPath)!;
            InputFile.Require(path, "small-set file");
            using var set = SmallSet.Load(path);
            var (files, notes) = TorchSetExport.Export(set, dir);
            ctx.WriteResult(new { set = path, files, notes }, o =>
            {
                o.WriteLine($"{path}: {set.Count} images of {set.Info.Dataset} written to {string.Join(", ", files)}");
                foreach (var n in notes) o.WriteLine("  " + n);
            });
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
