using System.Globalization;
using DDist.Artifacts;
using DDist.Data;
using DDist.Torch;

namespace DDist.Selection;

/// <summary>Class-balanced coresets (DeepCore with balance on: the budget per class is the IPC): herding and
/// k-center greedy on the features of a trained network, and forgetting (the most forgotten examples first).
/// Each returns a small set of real images, class-major, in the order chosen.</summary>
public static class CoresetSelection
{
    /// <param name="features">(N, D) features of every training image, in dataset order.</param>
    public static SmallSet Herd(ImageDataset train, Tensor features, int ipc, HerdingRule rule, SmallSetInfo info) =>
        PerClass(train, features, ipc, info, (f, _) => Herding.Select(f, ipc, rule));

    public static SmallSet KCenter(ImageDataset train, Tensor features, int ipc, int seed, SmallSetInfo info) =>
        PerClass(train, features, ipc, info, (f, c) => KCenterGreedy.Select(f, ipc, (int)SeedSequence(seed, c)));

    /// <summary>The IPC examples of each class with the highest forgetting counts (ties: higher mean loss, then
    /// dataset order). DeepCore leaves never-learned examples at 0; our scores count them as the most forgotten
    /// (Toneva et al.'s definition), which the score file records.</summary>
    public static SmallSet Forgetting(ImageDataset train, DifficultyScores scores, int ipc, SmallSetInfo info)
    {
        using var labels = train.Labels.To(DType.Int64, Device.Cpu);
        var ranking = DifficultyRanking.Build(scores, labels.ToArray<long>(), train.NumClasses);
        CheckIpc(train, Enumerable.Range(0, train.NumClasses).Select(ranking.ClassSize).ToArray(), ipc);
        var chosen = Enumerable.Range(0, train.NumClasses).SelectMany(c => ranking.Class(c).Take(ipc)).ToList();
        return RealSubset.Build(train, chosen, info);
    }

    /// <summary>Info for a coreset: dataset, method, IPC and the normalisation of <paramref name="train"/>.</summary>
    public static SmallSetInfo Info(ImageDataset train, string method, int ipc, int seed, Dictionary<string, string> parameters) => new()
    {
        Dataset = train.Name, Method = method, Ipc = ipc, NumClasses = train.NumClasses, Seed = (ulong)seed,
        Normalization = train.Space,
        Parameters = new Dictionary<string, string>(parameters) { ["ipc"] = ipc.ToString(CultureInfo.InvariantCulture) },
    };

    private static SmallSet PerClass(ImageDataset train, Tensor features, int ipc, SmallSetInfo info, Func<Tensor, int, int[]> choose)
    {
        if (features.Dim != 2 || features.Size(0) != train.Count)
            throw new ArgumentException($"features are [{string.Join(", ", features.Shape)}], expected one row per training image ({train.Count})");
        var byClass = train.IndicesByClass();
        CheckIpc(train, byClass.Select(c => c.Length).ToArray(), ipc);
        var chosen = new List<int>();
        for (int c = 0; c < byClass.Length; c++)
        {
            using var scope = new TensorScope();
            var rows = features.IndexSelect(0, Tensors.FromArray(byClass[c]).To(features.Device));
            chosen.AddRange(choose(rows, c).Select(p => (int)byClass[c][p]));
        }
        return RealSubset.Build(train, chosen, info);
    }

    private static void CheckIpc(ImageDataset train, int[] classSizes, int ipc)
    {
        if (ipc < 1) throw new ArgumentOutOfRangeException(nameof(ipc), ipc, "images per class must be ≥ 1");
        for (int c = 0; c < classSizes.Length; c++)
            if (classSizes[c] < ipc)
                throw new ArgumentException($"dataset '{train.Name}': class {c} ({train.ClassNames[c]}) has {classSizes[c]} images, fewer than IPC {ipc}");
    }

    /// <summary>Per-class seed of k-center's first centre, so classes do not share a draw.</summary>
    private static ulong SeedSequence(int seed, int c) => Training.SeedSequence.Derive((ulong)seed, "kcenter", c) % int.MaxValue;
}
