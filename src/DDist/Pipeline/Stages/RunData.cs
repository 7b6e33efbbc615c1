using DDist.Data;

namespace DDist.Pipeline.Stages;

/// <summary>A run's dataset, loaded once per process onto the run's device: the train and test sets, their
/// normalisation and the training labels on the host.</summary>
public sealed record RunData(RawDataset Raw, ImageDataset Train, ImageDataset Test, Normalization Normalization, long[] Labels) : IDisposable
{
    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}
