using DDist.Models;
using DDist.Torch;

namespace DDist.Tests.Distillation;

/// <summary>A tiny functional network for tests: conv 3×3 (C→4, pad 1) → instance norm → tanh → avgpool 2 → linear.
/// Smooth (tanh), so finite differences are meaningful; any float dtype.</summary>
internal sealed class TinyNet(int channels, int classes, int h, int w, DType dtype = DType.Float32) : INetwork
{
    private const int Width = 4;
    private long FcIn => Width * (h / 2) * (w / 2);

    public string Name => "TinyNet";
    public bool HasBatchNorm => false;
    public long EmbeddingSize => FcIn;

    public IReadOnlyList<ParamSlot> Layout
    {
        get
        {
            var shapes = new (string, long[])[]
            {
                ("conv.weight", [Width, channels, 3, 3]), ("conv.bias", [Width]),
                ("fc.weight", [classes, FcIn]), ("fc.bias", [classes]),
            };
            long offset = 0;
            var slots = new List<ParamSlot>();
            foreach (var (name, shape) in shapes)
            {
                var slot = new ParamSlot(name, shape, offset);
                slots.Add(slot);
                offset += slot.Count;
            }
            return slots;
        }
    }

    public long ParameterCount => Layout.Sum(s => s.Count);

    public Tensor InitParameters(Device? device = null)
    {
        using var scope = new TensorScope();
        var parts = new List<Tensor>();
        long[] fanIn = [channels * 9, channels * 9, FcIn, FcIn];
        int k = 0;
        foreach (var slot in Layout)
        {
            double b = 1 / Math.Sqrt(fanIn[k++]);
            parts.Add((Tensors.Rand([slot.Count], dtype, device) * (2 * b) - b));
        }
        return Tensors.Cat(parts).DetachFromScope();
    }

    public NetState CreateState(Device? device = null) => new();

    public Tensor Forward(Tensor x, Tensor p, NetState? state, bool training)
    {
        using var scope = new TensorScope();
        var f = Embed(x, p, state, training);
        var s = Layout;
        var fcW = p.Narrow(0, s[2].Offset, s[2].Count).View(s[2].Shape);
        var fcB = p.Narrow(0, s[3].Offset, s[3].Count);
        return Functional.Linear(f, fcW, fcB).MoveToOuterScope();
    }

    public Tensor Embed(Tensor x, Tensor p, NetState? state, bool training)
    {
        using var scope = new TensorScope();
        var s = Layout;
        var w = p.Narrow(0, s[0].Offset, s[0].Count).View(s[0].Shape);
        var b = p.Narrow(0, s[1].Offset, s[1].Count);
        var y = Functional.Conv2d(x, w, b, padding: 1);
        y = Functional.InstanceNorm(y).Tanh();
        y = Functional.AvgPool2d(y, 2);
        return y.Flatten(1).MoveToOuterScope();
    }
}
