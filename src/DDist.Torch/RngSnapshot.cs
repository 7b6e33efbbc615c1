namespace DDist.Torch;

/// <summary>The states of the generators that random draws for one device may come from: libtorch's CPU generator
/// always (index sampling and family choices are drawn there), and the device's own generator when it is a GPU
/// (parameters drawn with <c>device: cuda</c> come from it). Restoring a snapshot replays the same draws on either.
/// Owns its state tensors, which live outside any <see cref="TensorScope"/>.</summary>
public sealed class RngSnapshot : IDisposable
{
    private readonly Tensor _cpu;
    private readonly Tensor? _device;
    private readonly Device _on;

    private RngSnapshot(Tensor cpu, Tensor? device, Device on) => (_cpu, _device, _on) = (cpu, device, on);

    /// <summary>The generators' states now, for draws made on <paramref name="device"/>.</summary>
    public static RngSnapshot Take(Device device)
    {
        var cpu = Tensors.GetRngState().DetachFromScope();
        try
        {
            var onDevice = device.Type == DeviceType.Cpu ? null : Tensors.GetRngState(device).DetachFromScope();
            return new RngSnapshot(cpu, onDevice, device);
        }
        catch
        {
            cpu.Dispose();
            throw;
        }
    }

    /// <summary>Puts every generator back where it was when the snapshot was taken.</summary>
    public void Restore()
    {
        Tensors.SetRngState(_cpu);
        if (_device is not null) Tensors.SetRngState(_device, _on);
    }

    public void Dispose()
    {
        _cpu.Dispose();
        _device?.Dispose();
    }
}
