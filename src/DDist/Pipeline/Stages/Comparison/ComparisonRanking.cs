using System.Globalization;
using System.Text.Json;
using DDist.Data;
using DDist.Distillation;
using DDist.Evaluation;
using DDist.Recipes;
using DDist.Torch.IO;
using DDist.Training;

namespace DDist.Pipeline.Stages.Comparison;

/// <summary>DD-Ranking's scores of a comparison's cells (the recipe's "ranking" section), as `ddist rank` scores one
/// set: every cell is ranked under the comparison's own evaluation (its networks are the rounds, its eval.json the
/// set's own accuracies), against random sets that every cell of an IPC shares. Everything is kept under ranking/:
/// shared/ the random sets' networks (in folders named by what they train on), full.json the whole-data network,
/// validation.json the step-size search's held-out images, ipcN/baselines.json that IPC's random sets done,
/// ipcN/cells/METHOD/ a cell's own networks and ipcN/cells/METHOD.json its scores.</summary>
public sealed class ComparisonRanking(ComparisonContext context, RankingRecipe settings) : IDisposable
{
    public const string Dir = "ranking";

    private readonly Dictionary<ComparisonCell, (ImageDataset Train, ZcaTransform Zca)> _whitened = new();
    private readonly Dictionary<ComparisonCell, ImageDataset> _validation = new();
    private readonly Dictionary<ComparisonCell, ImageDataset> _ownValidation = new();
    private ImageDataset? _normalisedValidation;
    private int[]? _validationIndices;
    private bool _teachersChecked;

    public static string ResultPath(RunFolder folder, ComparisonCell cell) => folder.Combine(Dir, $"ipc{cell.Ipc}", "cells", $"{cell.Method}.json");
    public static string BaselinesPath(RunFolder folder, int ipc) => folder.Combine(Dir, $"ipc{ipc}", "baselines.json");
    public static string FullPath(RunFolder folder) => folder.Combine(Dir, "full.json");
    private string ValidationPath => context.Folder.Combine(Dir, "validation.json");

    /// <summary>A cell's kept scores; null when not ranked yet.</summary>
    public static SavedRanking? Load(RunFolder folder, ComparisonCell cell)
    {
        var path = ResultPath(folder, cell);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<SavedRanking>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty ranking file"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a ranking result ({e.Message})", e); }
    }

    /// <summary>The full training set's accuracy (a fraction): the recipe's, or one whole-data network's, trained once
    /// on the comparison's training set and kept in full.json.</summary>
    public double FullAccuracy()
    {
        if (settings.FullAccuracy is double given) return given / 100;
        CheckTeachers();
        var path = FullPath(context.Folder);
        var protocol = EvalProtocol.WholeData(context.Recipe.Evaluation.Model, settings.FullEpochs);
        if (File.Exists(path)) return ReadFull(path, protocol.Epochs);
        var data = context.Data;
        var whole = NetworkResults.EvaluateEach(context.Folder.Combine(Dir, "full"), "full", 1,
            $"whole {data.Train.Name} ({data.Train.Count} images); {protocol.Name}, {protocol.Model}, {protocol.Epochs} epochs; seed {context.Recipe.Seed}",
            _ => WholeDataTrainer.Train(data.Train, data.Test, protocol, (ulong)context.Recipe.Seed, context.Progress, context.Cancel));
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new { accuracy = whole.Mean, epochs = protocol.Epochs, images = data.Train.Count, seconds = whole.Elapsed.TotalSeconds }));
        context.Log($"ranking: the whole training set trains to {whole.Percent()} %");
        return whole.Mean;
    }

    private static double ReadFull(string path, int epochs)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        if (!root.TryGetProperty("epochs", out var e) || e.GetInt32() != epochs)
            throw new InvalidDataException($"{path}: the whole-data network trained another number of epochs than 'ranking.fullEpochs' asks ({epochs}); remove it to train again");
        return root.TryGetProperty("accuracy", out var a) && a.ValueKind == JsonValueKind.Number ? a.GetDouble()
            : throw new InvalidDataException($"{path}: field 'accuracy' is missing or not a number");
    }

    /// <summary>The random sets every cell at <paramref name="ipc"/> is ranked against (one kind per kind of label and
    /// space among them), trained and kept in shared/; baselines.json records which.</summary>
    public void TrainBaselines(int ipc, IReadOnlyList<ComparisonCell> cells)
    {
        CheckTeachers();
        var done = new List<object>();
        foreach (var group in cells.Where(c => c.Ipc == ipc).GroupBy(KindOf))
        {
            using var teacher = TeacherFor(group.First());
            var request = RequestFor(group.First(), null, teacher);
            RankingEvaluation.TrainBaselines(request, context.Progress, context.Cancel);
            done.Add(new { rows = group.Select(c => c.Method), labels = request.TeacherName, space = request.Train.Space });
        }
        AtomicFile.WriteAllText(BaselinesPath(context.Folder, ipc), JsonSerializer.Serialize(new { ipc, kinds = done }));
    }

    /// <summary>A cell's scores, from its evaluation (eval.json), its own networks and the shared random sets.</summary>
    public SavedRanking Rank(ComparisonCell cell)
    {
        CheckTeachers();
        var saved = EvaluateSetsStage.Load(context.Folder, cell);
        using var teacher = TeacherFor(cell);
        var request = RequestFor(cell, FullAccuracy(), teacher) with
        {
            SetEvaluation = EvalResult.From(saved.Accuracies, TimeSpan.FromSeconds(saved.Seconds), saved.Diverged),
        };
        var r = RankingEvaluation.Run(request, context.Progress, context.Cancel);
        var result = SavedRanking.Of(r, request, settings.FullAccuracy is null) with { Seconds = NetworkSeconds(request.Folder!) };
        var path = ResultPath(context.Folder, cell);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        return result;
    }

    /// <summary>The seconds every network kept under <paramref name="dir"/> took (its net-K.json files, at any depth).</summary>
    public static double NetworkSeconds(string dir) => !Directory.Exists(dir) ? 0 : Directory.EnumerateFiles(dir, "net-*.json", SearchOption.AllDirectories).Sum(path =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.TryGetProperty("seconds", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetDouble() : 0;
    });

    /// <summary>What the shared part of the ranking cost: the random sets' networks and the whole-data network.</summary>
    public static double SharedSeconds(RunFolder folder) => NetworkSeconds(folder.Combine(Dir, "shared")) + NetworkSeconds(folder.Combine(Dir, "full"));

    /// <summary>Cells ranked against the same random sets: same labels' kind and the same space (a ZCA set's own transform).</summary>
    private string KindOf(ComparisonCell cell)
    {
        var set = context.Made(cell).Set;
        var labels = set.SoftLabels is null ? "hard" : "soft";
        // Each ZCA set whitens by its own transform; two with the same one still share their random sets' kept networks.
        return set.Zca is null ? labels : $"{labels}, ZCA of {cell.Method}";
    }

    /// <summary>The ranking of a cell under the comparison's evaluation; <paramref name="full"/> is null where only the
    /// random sets are trained.</summary>
    private RankingRequest RequestFor(ComparisonCell cell, double? full, RankingTeacher? teacher)
    {
        var set = context.Made(cell).Set;
        var ipcFolder = context.Folder.Combine(Dir, $"ipc{cell.Ipc}");
        var search = SearchFor(cell);
        return new RankingRequest
        {
            Set = set, Train = TrainFor(cell), Test = context.TestFor(cell), Protocol = context.Recipe.ToEvalProtocol(cell.Ipc),
            Seed = (ulong)context.Recipe.Seed, FullAccuracy = full, Teacher = teacher is null ? null : teacher.Logits,
            TeacherName = teacher?.Name ?? "teacher", LabelWeight = settings.LabelWeight, AugmentationWeight = settings.AugmentationWeight,
            StepSizes = search.Random, SetStepSizes = search.Set, Folder = Path.Combine(ipcFolder, "cells", cell.Method), SharedFolder = context.Folder.Combine(Dir, "shared"),
            Log = line => context.Log($"ranking {cell}: {line}"),
        };
    }

    /// <summary>Refuses a soft-label row without 'ranking.teacher' before anything of the ranking is kept, so the
    /// section is still free to take one (a folder's ranking settings are fixed once ranking/ holds results).</summary>
    private void CheckTeachers()
    {
        if (_teachersChecked) return;
        if (settings.Teacher is null)
            foreach (var cell in ComparisonCell.Of(context.Recipe).Where(c => context.Made(c).Set.SoftLabels is not null))
                throw new InvalidDataException($"{cell.SetPath(context.Folder)}: {cell} has soft labels, so its random sets need a teacher's: " +
                                               "set 'ranking.teacher' to an experts folder (`ddist experts`) or \"mtt\" (the comparison's own experts)");
        _teachersChecked = true;
    }

    /// <summary>The teacher labelling a soft-label cell's random sets; null for a hard-label one.</summary>
    private RankingTeacher? TeacherFor(ComparisonCell cell)
    {
        var set = context.Made(cell).Set;
        if (set.SoftLabels is null) return null;
        CheckTeachers();
        var dir = settings.TeacherDir(context.Folder.Experts)!;
        if (settings.Teacher == RankingRecipe.MttExperts) _ = context.Experts;   // trained here when missing
        return RankingTeacher.Open(dir, set, TrainFor(cell), context.Device);
    }

    /// <summary>The training images a cell's random sets are drawn from: the comparison's, or for a ZCA-whitened set
    /// the same images whitened with the transform it carries.</summary>
    private ImageDataset TrainFor(ComparisonCell cell)
    {
        var set = context.Made(cell).Set;
        if (set.Zca is null) return context.Data.Train;
        if (_whitened.TryGetValue(cell, out var kept)) return kept.Train;
        var zca = ZcaTransform.FromTensors(set.Zca, context.Device);
        var train = context.WhitenedTrain(zca);
        _whitened[cell] = (train, zca);
        return train;
    }

    /// <summary>The step-size search of a cell's random sets (validation images in the cell's space) and of its own
    /// evaluations: the same, or where the set holds some of the held-out images (it was made from the same training
    /// images, and the split does not depend on which sets exist), scored on the others. Nulls without 'lrSearch'.</summary>
    private (StepSizeSearch? Random, StepSizeSearch? Set) SearchFor(ComparisonCell cell)
    {
        if (settings.LrSearch is not { } candidates) return (null, null);
        var indices = ValidationIndices();
        var held = indices.ToHashSet();
        var set = context.Made(cell).Set;
        ImageDataset validation;
        if (set.Zca is null) validation = _normalisedValidation ??= context.Data.Train.Subset(indices.Select(i => (long)i).ToArray());
        else if (!_validation.TryGetValue(cell, out validation!)) validation = _validation[cell] = TrainFor(cell).Subset(indices.Select(i => (long)i).ToArray());
        var random = new StepSizeSearch
        {
            Candidates = candidates, Validation = validation, ValidationIndices = held, Networks = settings.SearchNets,
            ValidationName = string.Create(CultureInfo.InvariantCulture,
                $"{settings.ValidationPerClass} per class ({indices.Length} images, seed {ValidationSeed}, {Path.Combine(Dir, "validation.json")})"),
        };
        var own = set.SourceIndex.Where(i => i >= 0 && held.Contains((int)i)).ToHashSet();
        if (own.Count == 0) return (random, random);
        var others = Enumerable.Range(0, indices.Length).Where(k => !own.Contains(indices[k])).Select(k => (long)k).ToArray();
        if (!_ownValidation.TryGetValue(cell, out var ownValidation)) ownValidation = _ownValidation[cell] = validation.Subset(others);
        return (random, random with
        {
            Validation = ownValidation,
            ValidationName = string.Create(CultureInfo.InvariantCulture, $"{random.ValidationName} without the set's {own.Count} image(s) among them"),
        });
    }

    private int ValidationSeed => (int)(SeedSequence.Derive((ulong)context.Recipe.Seed, "ranking-validation", 0) % int.MaxValue);

    /// <summary>The held-out images of the step-size search: ValidationPerClass training images per class, drawn from the
    /// seed alone (so rows ranked in any order, or later, share them), and written to validation.json.</summary>
    private int[] ValidationIndices()
    {
        if (_validationIndices is not null) return _validationIndices;
        var (validation, indices) = ValidationSplit.Carve(context.Data.Train, settings.ValidationPerClass, Array.Empty<long>(), ValidationSeed);
        validation.Dispose();
        if (!File.Exists(ValidationPath))
        {
            Directory.CreateDirectory(context.Folder.Combine(Dir));
            ValidationSplit.Record(ValidationPath, "the comparison's training set", settings.ValidationPerClass, ValidationSeed, indices);
        }
        return _validationIndices = indices;
    }

    public void Dispose()
    {
        foreach (var (train, zca) in _whitened.Values)
        {
            train.Dispose();
            zca.Dispose();
        }
        foreach (var v in _validation.Values.Concat(_ownValidation.Values)) v.Dispose();
        _normalisedValidation?.Dispose();
    }
}
