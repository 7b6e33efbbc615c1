using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DDist.Artifacts;
using DDist.Data;
using DDist.Distillation;
using DDist.Evaluation;
using DDist.Models;
using DDist.Recipes;
using DDist.Reporting;
using DDist.Selection;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Pipeline.Stages;

/// <summary>What the stages of one recipe run share within one process: the recipe, the folder, the run state, and
/// the inputs several stages read — the data, the scores, the validation split, the evaluators, the chosen β, the
/// small sets, the distilled sets. Each is built on first use, from the folder when an earlier stage (maybe another
/// process) made it, so a stage, or one scheduler task, loads only what it reads.</summary>
public sealed class StageContext(Recipe recipe, RunFolder folder, PipelineState state, PipelineOptions options,
                                 IProgress<ProgressReport>? progress, Action<string>? log, CancellationToken cancel) : IDisposable
{
    private RunData? _data;
    private readonly Dictionary<ScoreKind, DifficultyScores> _scores = new();
    private SelectionSplit? _split;
    private readonly Dictionary<ScoreKind, DifficultyRanking> _rankings = new();
    private WindowSearchResult? _window;
    private SmallSet? _randomSet, _windowSet;
    private readonly Dictionary<string, Distilled> _distilled = new();
    private int _timing;   // depth of timed work running: only the outermost records its time
    private double _setAside;   // seconds of this process's own set-up (loading the data), recorded apart from any stage

    public Recipe Recipe { get; } = recipe;
    public RunFolder Folder { get; } = folder;
    /// <summary>This process's view of pipeline.json; <see cref="SaveState"/> merges it with what others saved.</summary>
    public PipelineState State { get; } = state;
    public PipelineOptions Options { get; } = options;
    public IProgress<ProgressReport>? Progress { get; } = progress;
    public CancellationToken Cancel { get; } = cancel;

    public void Log(string line) => log?.Invoke(line);

    public void SaveState() => State.Save(Folder.Path);

    /// <summary>Runs a stage's work (<see cref="Worked{T}"/>) and records the stage as finished in pipeline.json, with
    /// what it has cost so far, this process's part and the earlier ones' (a stage recorded earlier keeps its record).</summary>
    public T Timed<T>(string label, Func<T> work)
    {
        var result = Worked(label, work);
        if (!State.Done(label))
        {
            State.Stages.Add(new PipelineState.StageTime(label, State.TimeOf(label).TotalSeconds, State.PeakOf(label)));
            SaveState();
        }
        return result;
    }

    public void Timed(string label, Action work) => Timed(label, () => { work(); return 0; });

    /// <summary>Runs work on stage <paramref name="label"/>, or on one scheduler task of it, and adds its wall time to
    /// the stage's in pipeline.json when it ends, finished or not: a run interrupted and resumed, or split into tasks,
    /// reports what every process spent. Work nested in other timed work (a task the whole stage runs) is counted once,
    /// by the outer one. The most its tensors held at once on the run's device is recorded with the time (the count is
    /// the process's, so it includes the dataset once loaded).</summary>
    public T Worked<T>(string label, Func<T> work)
    {
        if (_timing > 0) return work();
        Log($"{label} ...");
        var clock = Stopwatch.StartNew();
        double setAsideBefore = _setAside;
        TimeSpan Spent() => clock.Elapsed - TimeSpan.FromSeconds(_setAside - setAsideBefore);
        T result;
        ResetPeakMemory();
        _timing++;
        try { result = work(); }
        catch
        {
            try { AddWork(label, Spent(), PeakMemoryMiB()); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log($"{label}: the time spent could not be recorded ({e.Message})");   // the work's own failure is what matters
            }
            throw;
        }
        finally { _timing--; }
        double? peak = PeakMemoryMiB();
        AddWork(label, Spent(), peak);
        Log(string.Create(CultureInfo.InvariantCulture, $"{label}: {clock.Elapsed.TotalSeconds:F1} s") +
            (peak is double mib ? $", tensors peaked at {MemoryText.MiB(mib)}" : ""));
        return result;
    }

    // Memory statistics describe the run; a shim that cannot give them costs the number, not the stage.
    private void ResetPeakMemory()
    {
        try { TensorMemory.ResetPeak(Options.Device); }
        catch (TorchException) { }
    }

    private double? PeakMemoryMiB()
    {
        try { return TensorMemory.Of(Options.Device) is { } m ? Math.Round(m.PeakMiB, 1) : null; }
        catch (TorchException) { return null; }
    }

    public void Worked(string label, Action work) => Worked(label, () => { work(); return 0; });

    private void AddWork(string label, TimeSpan spent, double? peakMiB = null)
    {
        State.Work.Add(new PipelineState.WorkTime(label, spent.TotalSeconds, Guid.NewGuid().ToString("N"), peakMiB));
        SaveState();
    }

    /// <summary>The dataset on the run's device, loaded once, on first use. Its time is recorded as "load data", not in the
    /// stage that happens to need it first: each process loads it, and it would make one method's set look dearer.</summary>
    public RunData Data => _data ??= LoadData();

    public const string LoadDataLabel = "load data";

    private RunData LoadData()
    {
        Log($"{LoadDataLabel} ...");
        var clock = Stopwatch.StartNew();
        var data = ReadData();
        Log(string.Create(CultureInfo.InvariantCulture, $"{LoadDataLabel}: {clock.Elapsed.TotalSeconds:F1} s"));
        _setAside += clock.Elapsed.TotalSeconds;
        AddWork(LoadDataLabel, clock.Elapsed);
        return data;
    }

    private RunData ReadData() => RunData.Load(Recipe.Dataset, Recipe.Zca, Folder.Zca, Options.Device, Log);

    public INetwork Net(string model) => ModelZoo.Create(model, Data.Train.Channels, Data.Train.NumClasses, Data.Train.Height, Data.Train.Width);

    /// <summary>The scores of one kind: those the scores stage just made, or read back from the folder.</summary>
    public DifficultyScores ScoresOf(ScoreKind kind) =>
        _scores.TryGetValue(kind, out var s) ? s : _scores[kind] = DifficultyScores.Load(Folder.ScoresFor(Recipe, kind));

    public void Keep(ScoreKind kind, DifficultyScores scores)
    {
        _scores[kind] = scores;
        _rankings.Remove(kind);
    }

    /// <summary>The score kind the small sets are cut by: the recipe's one, or, where it lists several, the one chosen
    /// with β (by the choose-beta stage).</summary>
    public ScoreKind ScoreKind => !Recipe.SearchesScoreKinds ? Recipe.ScoreKinds[0]
        : State.ChosenScoreKind is string chosen ? ScoreKindExtensions.ParseScoreKind(chosen, $"{Folder.Combine(PipelineState.FileName)}: field 'ChosenScoreKind'")
        : throw new InvalidOperationException($"{Folder.Combine(PipelineState.FileName)}: field 'ChosenScoreKind' is missing; stage '{RecipeStages.ChooseBeta}' has not run");

    /// <summary>How alike the listed score kinds order each class, pair by pair ("learning-speed and forgetting:
    /// Spearman ρ 0.52 within classes"), for the log and the report; null with one kind.</summary>
    public string? ScoreKindAgreement()
    {
        var kinds = Recipe.ScoreKinds;
        if (kinds.Count < 2) return null;
        var rankings = kinds.Select(k => DifficultyRanking.Build(ScoresOf(k), Data.Labels, Data.Train.NumClasses)).ToList();
        var pairs = from i in Enumerable.Range(0, kinds.Count) from j in Enumerable.Range(i + 1, kinds.Count - i - 1)
                    select string.Create(CultureInfo.InvariantCulture,
                        $"{kinds[i].FileName()} and {kinds[j].FileName()}: Spearman ρ {rankings[i].MeanSpearman(rankings[j]):F2} within classes (mean over {Data.Train.NumClasses})");
        return string.Join("; ", pairs);
    }

    /// <summary>The difficulty scores the small sets are cut by (<see cref="ScoreKind"/>).</summary>
    public DifficultyScores Scores => ScoresOf(ScoreKind);

    /// <summary>Every choice (β, successive halving, the best iteration) is made on a validation split carved before
    /// anything is chosen and held out of every small set: windows are cut from the rest of each class, and the
    /// random baseline (MTT's initialisation) is drawn from it. A recipe that says selectOn "test" reproduces the
    /// reference protocol instead (SelMatch's sliding window and images_best choose on test), and says so.</summary>
    public SelectionSplit Split => _split ??= CarveSplit();

    private SelectionSplit CarveSplit()
    {
        var r = Recipe;
        var (validation, heldOut) = r.SelectOn == SelectOn.Validation
            ? ValidationSplit.Carve(Data.Train, r.Distill.ValidationPerClass, new HashSet<long>(), r.Seed + 1)
            : ((ImageDataset?)null, Array.Empty<int>());
        string chosenOn = validation is null ? SelectionLabels.Test : string.Create(CultureInfo.InvariantCulture,
            $"{SelectionLabels.Validation} ({validation.Count} training images, {r.Distill.ValidationPerClass} per class, held out of every small set)");
        State.ChosenOn = chosenOn;
        if (validation is not null && !File.Exists(Folder.Validation))
            ValidationSplit.Record(Folder.Validation, chosenOn, r.Distill.ValidationPerClass, r.Seed + 1, heldOut);
        return new SelectionSplit(validation, heldOut, chosenOn);
    }

    /// <summary>The training set ranked by one kind's difficulty per class, without the validation images.</summary>
    public DifficultyRanking RankingOf(ScoreKind kind) => _rankings.TryGetValue(kind, out var r) ? r
        : _rankings[kind] = DifficultyRanking.Build(ScoresOf(kind), Data.Labels, Data.Train.NumClasses).Without(Split.HeldOut);

    /// <summary>The ranking the small sets are cut by (<see cref="ScoreKind"/>).</summary>
    public DifficultyRanking Ranking => RankingOf(ScoreKind);

    // Every evaluation reports its networks' training (epoch, loss, accuracy, rate, ETA) on the run's progress, as
    // `ddist eval` and the comparisons do: a row's evaluation or a best-iteration choice can take minutes.
    /// <summary>Fresh networks trained on a small set, tested on the test set: what the table reports.</summary>
    public SmallSetEvaluation OnTest => EvaluatorBinding.Bind(Data.Test, Recipe.ToEvalProtocol(), progress: Progress);

    /// <summary><see cref="OnTest"/> with another architecture (one of evaluation.crossArchitectures).</summary>
    public SmallSetEvaluation OnTestWith(string model) => EvaluatorBinding.Bind(Data.Test, Recipe.ToEvalProtocol(model), progress: Progress);

    /// <summary>The same, scored on the split choices are made on (the best distillation iteration).</summary>
    public SmallSetEvaluation OnChoiceSet =>
        EvaluatorBinding.Bind(Split.Validation ?? Data.Test, Recipe.ToEvalProtocol(), progress: Progress, onValidation: Split.Validation is not null);

    /// <summary>The window's networks train as SelMatch's sliding-window scripts do (DSA on the all-real window).</summary>
    public SmallSetEvaluation OnChoiceSetForWindow =>
        EvaluatorBinding.Bind(Split.Validation ?? Data.Test, Recipe.ToWindowProtocol(), progress: Progress, onValidation: Split.Validation is not null);

    /// <summary>The whole β grid's result: what the window stage just found, or its points read back.</summary>
    public WindowSearchResult Window
    {
        get => _window ??= WindowStage.Search(this, 0, 1);
        set => _window = value;
    }

    /// <summary>The β the small sets are cut at, as the choose-beta stage recorded it.</summary>
    public double Beta => State.ChosenBeta
        ?? throw new InvalidOperationException($"{Folder.Combine(PipelineState.FileName)}: field 'ChosenBeta' is missing; stage '{RecipeStages.ChooseBeta}' has not run");

    public string BetaNote => Recipe.Distill.Beta is null ? $"chosen on the {Split.ChosenOn}" : "fixed by the recipe";

    /// <summary>Where the window was cut, for notes and logs: "β 0.6", and the score kind when the recipe lists several
    /// ("β 0.6 by learning-speed scores").</summary>
    public string WindowAt => string.Create(CultureInfo.InvariantCulture,
        $"β {Beta}{(Recipe.SearchesScoreKinds ? $" by {ScoreKind.FileName()} scores" : "")}");

    /// <summary>Random real images (MTT's starting point and the Random row), drawn outside the validation split.</summary>
    public SmallSet RandomSet => _randomSet ??= Kept(
        RandomSelection.Select(Data.Train, Recipe.Ipc, (ulong)Recipe.Seed, Data.Space, Split.HeldOut), Folder.RandomSet);

    /// <summary>The all-real window at the chosen β (the Window-only row).</summary>
    public SmallSet WindowSet => _windowSet ??= Kept(RealSubset.FromWindow(Data.Train, Cut(alpha: 0), new SmallSetInfo
    {
        Dataset = Data.Raw.Name, Normalization = Data.Space, Method = "window", Ipc = Recipe.Ipc,
        NumClasses = Data.Train.NumClasses, Seed = (ulong)Recipe.Seed,
        // What cut it, as each window point of the search records it.
        Parameters = new()
        {
            ["beta"] = Beta.ToString("R", CultureInfo.InvariantCulture), ["offset"] = Recipe.WindowOffset.Name(),
            ["scores"] = Scores.Source, ["score_kind"] = ScoreKind.FileName(),
        },
    }), Folder.WindowSet);

    /// <summary>The window at the chosen β with the fraction <paramref name="alpha"/> of each class to distil.</summary>
    public WindowChoice Cut(double alpha) =>
        WindowSelection.Choose(Ranking, Beta, Recipe.Ipc, Recipe.WindowOffset, alpha, Recipe.FrozenPart, Recipe.WindowOverflow);

    private static SmallSet Kept(SmallSet set, string path)
    {
        if (!File.Exists(path)) set.Save(path);
        return set;
    }

    /// <summary>A distilled set: the one the distill stage just made, or read back from its folder.</summary>
    public Distilled DistilledBy(string method) =>
        _distilled.TryGetValue(method, out var d) ? d : _distilled[method] = Distilled.Load(Folder.Method(method));

    public void Keep(string method, Distilled distilled)
    {
        if (_distilled.Remove(method, out var old)) old.Dispose();
        _distilled[method] = distilled;
    }

    public void Dispose()
    {
        foreach (var d in _distilled.Values) d.Dispose();
        _randomSet?.Dispose();
        _windowSet?.Dispose();
        _split?.Dispose();
        _data?.Dispose();
    }
}
