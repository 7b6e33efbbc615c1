namespace QuickStart;

/// <summary>How much work the example does: the demo's MTT settings, or a few seconds' worth for the tests.</summary>
public sealed record Budget(int ValidationPerClass, int ExpertImagesPerClass, int Experts, int ExpertEpochs, int Iterations,
                            int SynSteps, int EvalEpochs, int EvalNets)
{
    /// <summary>The demo's MTT (recipes/fashion-mnist-ipc10-demo.json): 5 experts of 6 epochs on 500 images per class,
    /// 200 iterations of 12 unrolled steps, 300-epoch evaluation of 3 networks.</summary>
    public static Budget Full { get; } = new(100, 500, 5, 6, 200, 12, 300, 3);

    /// <summary>Every stage runs, at sizes that say nothing about accuracy.</summary>
    public static Budget Small { get; } = new(10, 20, 2, 3, 4, 2, 2, 1);
}
