using DDist.Torch;

namespace DDist.Models.Layers;

/// <summary>One step of a network's computation. Layers hold only slot indices into the flat parameter vector
/// (registered with a <see cref="NetworkBuilder"/> when they are created), so a network is a pure function of
/// that vector.</summary>
internal interface ILayer
{
    /// <summary>The output for input x; never disposes x.</summary>
    Tensor Apply(Tensor x, ForwardContext ctx);

    /// <summary>The per-sample output shape for a given input shape (used while building).</summary>
    FeatureShape OutputShape(FeatureShape input);
}
