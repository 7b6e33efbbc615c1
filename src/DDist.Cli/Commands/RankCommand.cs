using System.CommandLine;
using System.Globalization;
using DDist.Artifacts;
using DDist.Data;
using DDist.Distillation;
using DDist.Evaluation;
using DDist.Torch.IO;
using DDist.Training;

namespace DDist.Cli.Commands;

/// <summary>`ddist rank SET`: DD-Ranking's label-robust and augmentation-robust scores of a small set (Li et al. 2025),
/// which judge a set by its lead over random real images of the same size under the same evaluation rather than by
/// its accuracy alone (<see cref="RankingEvaluation"/>).</summary>
public static class RankCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var setPaths = new Argument<string[]>("SET")
        {
            Description = "Small sets (.safetensors) written by `ddist select`, `ddist distill`, `ddist run` or `ddist import-set`; several are ranked against the same random sets and tabled by score",
            Arity = ArgumentArity.OneOrMore,
        };
        var protocol = new Option<string>("--protocol")
        {
            Description = "sel, mtt or dc: the evaluation every set trains under, as `ddist eval` (default dc: one augmentation for real and distilled images alike); its networks are the rounds",
            DefaultValueFactory = _ => "dc",
        };
        var eval = new EvalOptions();
        var full = new Option<double?>("--full-accuracy") { Description = "The full training set's test accuracy in percent (the evaluation's model, hard labels); without it one whole-data network is trained" };
        var fullEpochs = new Option<int>("--full-epochs") { Description = "Epochs of that whole-data network, counted as --epochs (it trains epochs+1; lr 0.01 step decay, batch 256, no augmentation)", DefaultValueFactory = _ => 30 };
        var teacher = new Option<string?>("--teacher") { Description = "An experts folder (`ddist experts`): the mean logits of their final epochs label the random sets of a soft-label set, as DD-Ranking's teacher models do" };
        var labelWeight = new Option<double>("--lrs-weight") { Description = "w of the label-robust score, α = w·IOR − (1 − w)·HLR", DefaultValueFactory = _ => 0.5 };
        var augWeight = new Option<double>("--ars-weight") { Description = "γ of the augmentation-robust score, β = γ·(gain with augmentation) + (1 − γ)·(gain without)", DefaultValueFactory = _ => 0.5 };
        var lrSearch = new Option<string?>("--lr-search")
        {
            Description = "Step sizes to choose from, comma-separated, or 'ddranking' (0.001,0.005,0.01,0.05,0.1): the random sets, and a set without a learned step size, train at the one that scores best on training images held out of every random set (DD-Ranking searches on the test set)",
        };
        var validationPerClass = new Option<int>("--validation-per-class") { Description = "Training images per class held out for --lr-search (none of the ranked sets' own)", DefaultValueFactory = _ => 100 };
        var searchNets = new Option<int>("--search-nets") { Description = "Networks trained per step-size candidate for --lr-search", DefaultValueFactory = _ => 1 };
        var cmd = new Command("rank", "DD-Ranking's scores of small sets: their lead over random real images of the same size, their labels' and augmentation's share set apart")
        {
            setPaths, protocol, full, fullEpochs, teacher, labelWeight, augWeight, lrSearch, validationPerClass, searchNets,
        };
        eval.AddTo(cmd);
        CommandAction.Set(cmd, globals, (parse, ctx) =>
        {
            var paths = parse.GetValue(setPaths)!;
            foreach (var path in paths) InputFile.Require(path, "small-set file");
            if (paths.Select(Path.GetFullPath).Distinct().Count() != paths.Length) throw new CliException("SET: a set is given twice");
            var outPath = ctx.OutFile();
            var fullAccuracy = parse.GetValue(full) is double f
                ? (f > 1 && f <= 100 ? f / 100 : throw new CliException($"--full-accuracy {f.ToString(CultureInfo.InvariantCulture)}: expected a percentage in (1, 100], e.g. 91.5"))
                : (double?)null;
            if (fullAccuracy is not null && parse.GetResult(fullEpochs) is { Implicit: false })
                throw new CliException("--full-epochs: applies when the full training set's accuracy is trained, not given with --full-accuracy");
            var name = parse.GetValue(protocol)!;
            if (name.Trim().Equals("steps", StringComparison.OrdinalIgnoreCase))
                throw new CliException("--protocol steps: a set's learned steps train no random set; rank it with sel, mtt or dc");
            var candidates = Candidates(parse.GetValue(lrSearch));
            if (candidates is null)
                foreach (var searchOnly in new Option[] { validationPerClass, searchNets })
                    if (parse.GetResult(searchOnly) is { Implicit: false }) throw new CliException($"{searchOnly.Name}: applies with --lr-search");
            if (candidates is not null && parse.GetValue(eval.Lr) is not null)
                throw new CliException("--lr: with --lr-search every evaluation without a learned step size trains at the one searched");
            var settings = new Settings(
                (set, data) =>
                {
                    var preset = EvalCommand.Preset(name, set, ctx);
                    return eval.Apply(parse, preset with { AugmentOptions = Augment.AugmentOptions.ForDataset(data.Name, preset.AugmentOptions.Dsa) });
                },
                fullAccuracy, NonNegative(parse.GetValue(fullEpochs), "--full-epochs"), parse.GetValue(teacher),
                Weight(parse.GetValue(labelWeight), "--lrs-weight"), Weight(parse.GetValue(augWeight), "--ars-weight"),
                candidates, Positive(parse.GetValue(validationPerClass), "--validation-per-class"), Positive(parse.GetValue(searchNets), "--search-nets"));

            var sets = new List<SmallSet>();
            // Several sets share their random sets' networks through a folder: --out's, or one of their own for this run.
            var folder = outPath is not null ? outPath + ".partial" : paths.Length > 1 ? Directory.CreateTempSubdirectory("ddist-rank-").FullName : null;
            try
            {
                foreach (var path in paths) sets.Add(SmallSet.Load(path));
                if (sets.FindIndex(x => !x.Info.Dataset.Equals(sets[0].Info.Dataset, StringComparison.OrdinalIgnoreCase)) is var other and > 0)
                    throw new CliException($"SET: {paths[other]} is of '{sets[other].Info.Dataset}', {paths[0]} of '{sets[0].Info.Dataset}': sets ranked together share one dataset's full-data accuracy and random images");
                CheckTeacher(paths, sets, settings.TeacherDir);
                var everyImage = sets.SelectMany(x => x.SourceIndex.Where(i => i >= 0)).ToHashSet();
                var ranked = paths.Select((path, i) => RankOne(ctx, settings, path, sets[i], folder, everyImage)).ToList();
                object json = ranked.Count == 1 ? ranked[0].Json : new { rankings = ranked.Select(x => x.Json), leaderboard = RankingJson.Leaderboard(ranked.Select(x => x.Ranked)) };
                if (outPath is not null) ctx.SaveJson(outPath, json);
                ctx.WriteResult(json, o =>
                {
                    foreach (var x in ranked) RankingJson.WriteTable(o, x.Ranked.Path, x.Ranked.Result, x.Ranked.Request);
                    if (ranked.Count > 1) RankingJson.WriteLeaderboard(o, ranked.Select(x => x.Ranked));
                });
                if (folder is not null && Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
                return ExitCodes.Ok;
            }
            finally
            {
                foreach (var set in sets) set.Dispose();
                if (outPath is null && folder is not null && Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            }
        });
        return cmd;
    }

    /// <summary>What every set is ranked with; the protocol is made per set (a learned step size, the dataset's DSA).</summary>
    private sealed record Settings(
        Func<SmallSet, LoadedData, EvalProtocol> ProtocolFor, double? FullAccuracy, int FullEpochs, string? TeacherDir,
        double LabelWeight, double AugmentationWeight, double[]? Candidates, int ValidationPerClass, int SearchNets);

    /// <summary>A teacher labels the random sets of soft-label sets: refused when no set has soft labels, required when one has.</summary>
    private static void CheckTeacher(string[] paths, List<SmallSet> sets, string? teacherDir)
    {
        var soft = paths.Where((_, i) => sets[i].SoftLabels is not null).ToList();
        if (teacherDir is not null && soft.Count == 0)
            throw new CliException($"--teacher: {(paths.Length == 1 ? $"{paths[0]} has no" : "none of the sets has")} soft labels, so its random sets train on their classes");
        if (teacherDir is null && soft.Count > 0)
            throw new CliException($"--teacher: {soft[0]} has soft labels; its random sets need a teacher's (an experts folder, as `ddist experts` writes)");
    }

    /// <summary>One set's ranking: its own evaluations under FOLDER/DIGEST, the random sets' and the whole-data
    /// network's under FOLDER/shared, where other sets ranked alike find them.</summary>
    private static (object Json, RankingJson.Ranked Ranked) RankOne(CliContext ctx, Settings settings, string path, SmallSet set, string? folder, HashSet<long> everyImage)
    {
        using var zca = set.Zca is null ? null : ZcaTransform.FromTensors(set.Zca, ctx.Device);
        using var data = EvalCommand.DataOf(path, set, ctx, zca);
        var p = settings.ProtocolFor(set, data);
        using var labeller = set.SoftLabels is null ? null : RankingTeacher.Open(settings.TeacherDir!, set, data.Train, ctx.Device);
        using var search = settings.Candidates is null ? null : HoldOut(data.Train, everyImage, settings, ctx.Seed);

        var randomLr = search is null ? "the protocol's" : "searched ones";
        var learned = p.TrainsAtLearnedLr(set)
            ? string.Create(CultureInfo.InvariantCulture, $"; the set trains at its learned step size {p.ForSet(set).LearningRate:G4}, random sets at {randomLr}")
            : search is null ? "" : "; the set and the random sets train at searched step sizes";
        ctx.Note($"rank {path}: {set.Count} images of {data.Name} against random sets of the same size, {p.Networks} round(s); protocol {p.Name}: {EvalOptions.Summary(p)}{learned}");
        if (search is not null)
            ctx.Note($"step sizes {string.Join(", ", settings.Candidates!.Select(c => c.ToString("R", CultureInfo.InvariantCulture)))} scored on training images held out of every random set: {search.Search.ValidationName}");
        var request = new RankingRequest
        {
            Set = set, Train = data.Train, Test = data.Test, Protocol = p, Seed = ctx.Seed, FullAccuracy = settings.FullAccuracy,
            FullEpochs = settings.FullEpochs, Teacher = labeller is null ? null : labeller.Logits, TeacherName = labeller?.Name ?? "teacher",
            LabelWeight = settings.LabelWeight, AugmentationWeight = settings.AugmentationWeight, StepSizes = search?.Search,
            Folder = folder is null ? null : Path.Combine(folder, set.Digest()[..12]), SharedFolder = folder is null ? null : Path.Combine(folder, "shared"),
            Log = ctx.Note,
        };
        var r = ProgressView.Run(ctx, pr => RankingEvaluation.Run(request, pr, ctx.Cancel));
        return (RankingJson.Of(path, set, data.Name, p, request, r), new RankingJson.Ranked(path, set.Info.Method, set.Info.Ipc, request, r));
    }

    /// <summary>The --lr-search candidates: a comma list of positive numbers or 'ddranking'; null without the option.</summary>
    private static double[]? Candidates(string? text)
    {
        if (text is null) return null;
        if (text.Trim().Equals("ddranking", StringComparison.OrdinalIgnoreCase)) return StepSizeSearch.DdRankingCandidates;
        var values = text.Split(',', StringSplitOptions.TrimEntries).Select(v =>
            double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? x
                : throw new CliException($"--lr-search '{text}': '{v}' is not a number (expected step sizes such as 0.001,0.01,0.1, or 'ddranking')")).ToArray();
        try { return StepSizeSearch.CheckCandidates(values); }
        catch (ArgumentException e) { throw new CliException($"--lr-search '{text}': {e.Message}"); }
    }

    /// <summary>The validation images of the step-size search: that many training images per class, none of them an
    /// image of a ranked set, held out of every random set.</summary>
    private static HeldOut HoldOut(ImageDataset train, HashSet<long> everyImage, Settings settings, ulong seed)
    {
        int carveSeed = (int)(SeedSequence.Derive(seed, "ranking-validation", 0) % int.MaxValue);
        ImageDataset validation;
        int[] indices;
        try { (validation, indices) = ValidationSplit.Carve(train, settings.ValidationPerClass, everyImage, carveSeed); }
        catch (ArgumentOutOfRangeException e) { throw new CliException($"--validation-per-class {settings.ValidationPerClass}: {e.Message.Split(" (Parameter")[0]}"); }
        return new HeldOut(validation, new StepSizeSearch
        {
            Candidates = settings.Candidates!, Validation = validation, ValidationIndices = indices.ToHashSet(), Networks = settings.SearchNets,
            ValidationName = $"{settings.ValidationPerClass} per class ({validation.Count} images, seed {carveSeed.ToString(CultureInfo.InvariantCulture)})",
        });
    }

    private sealed record HeldOut(ImageDataset Validation, StepSizeSearch Search) : IDisposable
    {
        public void Dispose() => Validation.Dispose();
    }

    private static int NonNegative(int value, string option) => value >= 0 ? value : throw new CliException($"{option} {value}: must be ≥ 0");

    private static int Positive(int value, string option) => value >= 1 ? value : throw new CliException($"{option} {value}: must be ≥ 1");

    private static double Weight(double w, string option) =>
        w is >= 0 and <= 1 ? w : throw new CliException($"{option} {w.ToString(CultureInfo.InvariantCulture)}: expected a weight in [0, 1]");
}
