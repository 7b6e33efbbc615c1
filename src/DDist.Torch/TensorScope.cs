namespace DDist.Torch;

/// <summary>Frees, at its end, every tensor created on this thread while it was the innermost scope,
/// except those explicitly kept (<see cref="Tensor.MoveToOuterScope"/>, <see cref="Tensor.DetachFromScope"/>).
/// Scopes nest and are per thread: a training loop body opens one per step so native memory stays flat.</summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;
    internal static TensorScope? Current => _current;

    private readonly TensorScope? _outer;
    private readonly List<Tensor> _owned = new();
    private bool _disposed;

    public TensorScope()
    {
        _outer = _current;
        _current = this;
    }

    internal TensorScope? Outer => _outer;
    public int Count => _owned.Count;

    internal void Add(Tensor t) => _owned.Add(t);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_current == this) _current = _outer;
        foreach (var t in _owned)
            if (ReferenceEquals(t.Owner, this)) t.Dispose();
        _owned.Clear();
    }
}
