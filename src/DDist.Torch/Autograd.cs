using static DDist.Torch.TorchException;

namespace DDist.Torch;

/// <summary>Reverse-mode differentiation, including gradients of gradients (createGraph).</summary>
public static unsafe class Autograd
{
    /// <summary>torch.autograd.grad: d(outputs)/d(inputs). An input that does not influence the outputs
    /// gives null when allowUnused, an error otherwise. With createGraph the results are themselves differentiable.</summary>
    public static Tensor?[] Grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?>? gradOutputs = null,
                                 bool createGraph = false, bool? retainGraph = null, bool allowUnused = false)
    {
        if (gradOutputs is not null && gradOutputs.Count != outputs.Count)
            throw new ArgumentException($"{outputs.Count} outputs but {gradOutputs.Count} grad outputs");
        var outs = outputs.Select(t => t.Ptr).ToArray();
        var ins = inputs.Select(t => t.Ptr).ToArray();
        var gouts = gradOutputs?.Select(t => t?.Ptr ?? 0).ToArray();
        var results = new nint[ins.Length];
        bool retain = retainGraph ?? createGraph;
        fixed (nint* o = outs) fixed (nint* i = ins) fixed (nint* g = gouts) fixed (nint* r = results)
            Check(Native.dd_grad(o, outs.Length, gouts is null ? null : g, i, ins.Length, retain ? (byte)1 : (byte)0,
                                 createGraph ? (byte)1 : (byte)0, allowUnused ? (byte)1 : (byte)0, r));
        foreach (var t in outputs) GC.KeepAlive(t);
        foreach (var t in inputs) GC.KeepAlive(t);
        if (gradOutputs is not null) foreach (var t in gradOutputs) GC.KeepAlive(t);
        return results.Select(Tensor.WrapNullable).ToArray();
    }

    /// <summary>Gradient of a scalar with respect to one input.</summary>
    public static Tensor Grad(Tensor output, Tensor input, bool createGraph = false) =>
        Grad([output], [input], null, createGraph)[0] ?? throw new InvalidOperationException("input does not influence output");

    /// <summary>Accumulates gradients into the leaves' .Grad.</summary>
    public static void Backward(this Tensor t, Tensor? gradient = null, bool retainGraph = false, bool createGraph = false)
    {
        Check(Native.dd_backward(t.Ptr, gradient?.Ptr ?? 0, retainGraph ? (byte)1 : (byte)0, createGraph ? (byte)1 : (byte)0));
        GC.KeepAlive(t);
        GC.KeepAlive(gradient);
    }
}
