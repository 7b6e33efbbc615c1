using DDist.Torch;

namespace DDist.Models.Layers;

/// <summary>Fully connected layer on a flattened input; weight (out, in) and bias, both U(±1/√in).</summary>
internal sealed class LinearLayer : ILayer
{
    private readonly int _weight, _bias;
    private readonly long _out;

    public LinearLayer(NetworkBuilder b, string name, long inFeatures, long outFeatures)
    {
        _out = outFeatures;
        var init = ParamInit.FanIn(inFeatures);
        _weight = b.AddParam($"{name}.weight", [outFeatures, inFeatures], init);
        _bias = b.AddParam($"{name}.bias", [outFeatures], init);
    }

    public Tensor Apply(Tensor x, ForwardContext ctx) => Functional.Linear(x, ctx.Param(_weight), ctx.Param(_bias));

    public FeatureShape OutputShape(FeatureShape s) => new(_out, 1, 1);
}
