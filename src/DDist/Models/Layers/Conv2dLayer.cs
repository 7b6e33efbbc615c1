using DDist.Torch;

namespace DDist.Models.Layers;

/// <summary>Conv2d with a square kernel; weight (out, in, k, k) and optional bias, both U(±1/√(in·k·k)).</summary>
internal sealed class Conv2dLayer : ILayer
{
    private readonly int _weight;
    private readonly int _bias = -1;
    private readonly int _kernel, _stride, _padding;

    public Conv2dLayer(NetworkBuilder b, string name, long inChannels, long outChannels, int kernel, int stride = 1, int padding = 0, bool bias = true)
    {
        _kernel = kernel; _stride = stride; _padding = padding;
        OutChannels = outChannels;
        var init = ParamInit.FanIn(inChannels * kernel * kernel);
        _weight = b.AddParam($"{name}.weight", [outChannels, inChannels, kernel, kernel], init);
        if (bias) _bias = b.AddParam($"{name}.bias", [outChannels], init);
    }

    public long OutChannels { get; }

    public Tensor Apply(Tensor x, ForwardContext ctx) =>
        Functional.Conv2d(x, ctx.Param(_weight), _bias < 0 ? null : ctx.Param(_bias), _stride, _padding);

    public FeatureShape OutputShape(FeatureShape s) =>
        new(OutChannels, (s.Height + 2 * _padding - _kernel) / _stride + 1, (s.Width + 2 * _padding - _kernel) / _stride + 1);
}
