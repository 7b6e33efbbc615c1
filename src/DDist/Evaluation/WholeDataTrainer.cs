using DDist.Data;
using DDist.Training;

namespace DDist.Evaluation;

/// <summary>The "whole dataset" row of the result tables: the protocol's networks trained on the complete
/// training set and tested on the test set (`ddist train`).</summary>
public static class WholeDataTrainer
{
    public static EvalResult Train(ImageDataset train, ImageDataset test, EvalProtocol protocol, ulong seed,
                                   IProgress<ProgressReport>? progress = null, CancellationToken ct = default)
    {
        NetworkEvaluation.CheckCompatible($"training set '{train.Name}'", train.Images, train.Labels, test);
        return NetworkEvaluation.Run(TrainingSet.From(train), test, protocol, seed, progress, ct);
    }
}
