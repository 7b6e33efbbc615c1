using DDist.Torch;

namespace DDist.Models.Layers;

/// <summary>The ResNet BasicBlock: relu(norm(conv3×3(s)) → conv3×3 → norm + shortcut). The shortcut is a
/// 1×1 conv(s) + norm when the stride or channel count changes, else the identity. All convs are bias-free.
/// In the "_AP" variant a stride-2 conv becomes stride 1 followed by a 2×2 average pool (after the first
/// activation, and between the shortcut's conv and norm).</summary>
internal sealed class BasicBlock : ILayer
{
    private readonly Conv2dLayer _conv1, _conv2;
    private readonly ILayer _norm1, _norm2;
    private readonly Conv2dLayer? _shortcutConv;
    private readonly ILayer? _shortcutNorm;
    private readonly int _stride;
    private readonly bool _avgPoolDownsample;
    private readonly long _planes;

    public BasicBlock(NetworkBuilder b, string name, FeatureShape input, long planes, int stride, NormKind norm, bool avgPoolDownsample)
    {
        _stride = stride;
        _planes = planes;
        _avgPoolDownsample = avgPoolDownsample;
        int convStride = avgPoolDownsample ? 1 : stride;
        var outShape = OutputShape(input);
        _conv1 = new Conv2dLayer(b, $"{name}.conv1", input.Channels, planes, kernel: 3, stride: convStride, padding: 1, bias: false);
        _norm1 = NormLayers.Create(b, $"{name}.bn1", norm, outShape)!;
        _conv2 = new Conv2dLayer(b, $"{name}.conv2", planes, planes, kernel: 3, stride: 1, padding: 1, bias: false);
        _norm2 = NormLayers.Create(b, $"{name}.bn2", norm, outShape)!;
        if (stride != 1 || input.Channels != planes)
        {
            _shortcutConv = new Conv2dLayer(b, $"{name}.shortcut.0", input.Channels, planes, kernel: 1, stride: convStride, bias: false);
            _shortcutNorm = NormLayers.Create(b, $"{name}.shortcut.{(avgPoolDownsample ? 2 : 1)}", norm, outShape)!;
        }
    }

    public Tensor Apply(Tensor x, ForwardContext ctx)
    {
        bool pool = _avgPoolDownsample && _stride != 1;
        var h = Then(_conv1.Apply(x, ctx), t => _norm1.Apply(t, ctx));
        h = Then(h, t => t.Relu());
        if (pool) h = Then(h, t => Functional.AvgPool2d(t, 2));
        h = Then(h, t => _conv2.Apply(t, ctx));
        h = Then(h, t => _norm2.Apply(t, ctx));
        if (_shortcutConv is not null)
        {
            var s = _shortcutConv.Apply(x, ctx);
            if (pool) s = Then(s, t => Functional.AvgPool2d(t, 2));
            s = Then(s, t => _shortcutNorm!.Apply(t, ctx));
            h = Then(h, t => t.Add(s));
            s.Dispose();
        }
        else h = Then(h, t => t.Add(x));
        return Then(h, t => t.Relu());
    }

    /// <summary>Applies f and frees its input, which is an intermediate of this block.</summary>
    private static Tensor Then(Tensor t, Func<Tensor, Tensor> f)
    {
        var r = f(t);
        t.Dispose();
        return r;
    }

    public FeatureShape OutputShape(FeatureShape s) => _avgPoolDownsample
        ? new(_planes, s.Height / _stride, s.Width / _stride)
        : new(_planes, (s.Height - 1) / _stride + 1, (s.Width - 1) / _stride + 1);
}
