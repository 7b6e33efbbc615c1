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

    /// <summary>libtorch's CPU generator state.</summary>
    public Tensor Cpu => _cpu;
    /// <summary>The device generator's state; null for the CPU.</summary>
    public Tensor? OnDevice => _device;

    /// <summary>The snapshot as checkpoint entries: the CPU generator under <paramref name="name"/>, the device
    /// generator (runs on a GPU only, so CPU checkpoints keep their format) under <see cref="DeviceEntry"/>. The
    /// tensors stay the snapshot's.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> Entries(string name)
    {
        yield return new(name, _cpu);
        if (_device is not null) yield return new(DeviceEntry(name), _device);
    }

    /// <summary>Puts every generator back where it was when the snapshot was taken.</summary>
    public void Restore()
    {
        Tensors.SetRngState(_cpu);
        if (_device is not null) Tensors.SetRngState(_device, _on);
    }

    /// <summary>The name a checkpoint stores the device generator's state under, beside the CPU generator's
    /// <paramref name="cpuName"/>.</summary>
    public static string DeviceEntry(string cpuName) => cpuName + ".device";

    /// <summary>Restores a checkpoint's generators for a run on <paramref name="device"/>: the CPU's, and the device's when
    /// the checkpoint holds one (made on a GPU) and the run is on a GPU again.</summary>
    public static void RestoreCheckpoint(Tensor cpu, Tensor? deviceState, Device device)
    {
        Tensors.SetRngState(cpu);
        if (deviceState is not null && device.Type != DeviceType.Cpu) Tensors.SetRngState(deviceState, device);
    }

    /// <summary><see cref="RestoreCheckpoint(Tensor, Tensor?, Device)"/> from a checkpoint file's entries <paramref name="name"/>
    /// (which it must hold) and <see cref="DeviceEntry"/> (when it holds one).</summary>
    public static void RestoreCheckpoint(IO.SafeTensorsFile file, string name, Device device)
    {
        using var scope = new TensorScope();
        var deviceEntry = DeviceEntry(name);
        RestoreCheckpoint(file.ReadRequired(name), file.Contains(deviceEntry) ? file.Read(deviceEntry) : null, device);
    }

    public void Dispose()
    {
        _cpu.Dispose();
        _device?.Dispose();
    }
}
