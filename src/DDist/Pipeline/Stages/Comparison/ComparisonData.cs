using DDist.Data;

namespace DDist.Pipeline.Stages.Comparison;

/// <summary>A comparison's train and test sets (class-balanced subsets when the recipe asks for them).</summary>
public sealed record ComparisonData(ImageDataset Train, ImageDataset Test) : IDisposable
{
    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}
