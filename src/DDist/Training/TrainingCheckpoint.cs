using System.Globalization;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Training;

/// <summary>One network's training, resumable from its last finished epoch: a single safetensors file with the
/// parameters, the momentum buffer, batch-norm running statistics and libtorch's generator (the device's too on a GPU),
/// the settings the training was started with, the seconds spent so far, and what the caller's loop accumulates (the
/// extras of <see cref="Save"/>). Written atomically at the end of each epoch, so a killed process loses at most the
/// epoch it was in, and the resumed run replays the rest bit for bit: its shuffles and augmentation draw from the
/// restored generator exactly as the uninterrupted run's did.</summary>
/// <param name="settings">Everything the training depends on, as text; a checkpoint started with other settings is
/// refused rather than resumed into a run it does not belong to.</param>
public sealed class TrainingCheckpoint(string path, string settings)
{
    private const string Format = "ddist.training-checkpoint.v1";

    public string Path => path;
    public bool Exists => File.Exists(path);

    /// <summary>Records that <see cref="TrainingState.NextEpoch"/> epochs are done, after <paramref name="seconds"/> of
    /// training in all (this process and the ones before it), with the caller's <paramref name="extras"/> (tensors) and
    /// <paramref name="metadata"/> (text fields) to read back in <see cref="Restore"/>.</summary>
    public void Save(TrainingState state, double seconds, IEnumerable<KeyValuePair<string, Tensor>>? extras = null,
                     IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var scope = new TensorScope();
        using var rng = RngSnapshot.Take(state.Parameters.Device);
        SafeTensors.Save(path, StateTensors(state, parameters: true, momentum: true).Concat(rng.Entries("rng")).Concat(extras ?? []),
            new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
            {
                ["format"] = Format, ["settings"] = settings,
                ["epochs_done"] = state.NextEpoch.ToString(CultureInfo.InvariantCulture),
                ["seconds"] = seconds.ToString("R", CultureInfo.InvariantCulture),
            });
    }

    /// <summary>Puts the checkpointed training back into <paramref name="state"/> (including its next epoch) and into
    /// libtorch's generators, hands <paramref name="readExtras"/> the file to read the extras from, and returns the seconds
    /// the training took before. Errors name the file and what is wrong with it.</summary>
    public double Restore(TrainingState state, Action<SafeTensorsFile>? readExtras = null)
    {
        using var file = SafeTensorsFile.Open(path);
        string Meta(string key) => file.RequiredMetadata(key, $"a DDist training checkpoint ({Format})");
        if (Meta("format") != Format)
            throw new InvalidDataException($"{path}: metadata field 'format' is '{Meta("format")}', expected '{Format}'");
        if (Meta("settings") != settings)
            throw new InvalidDataException($"{path}: this unfinished training was started with other settings ('{Meta("settings")}'; this run: " +
                                           $"'{settings}'); delete the file to start it again");
        if (!int.TryParse(Meta("epochs_done"), NumberStyles.None, CultureInfo.InvariantCulture, out var done))
            throw new InvalidDataException($"{path}: metadata field 'epochs_done' is '{Meta("epochs_done")}', expected a whole number");
        double seconds = file.MetadataNumber("seconds") ?? 0;

        using var scope = new TensorScope();
        using var noGrad = Tensors.NoGrad();
        LoadState(state, file, parameters: true);
        RngSnapshot.RestoreCheckpoint(file, "rng", state.Parameters.Device);
        readExtras?.Invoke(file);
        state.NextEpoch = done;
        return seconds;
    }

    public void Delete() => File.Delete(path);

    /// <summary>A training state as named CPU tensors: <c>params</c> (when <paramref name="parameters"/>), <c>momentum</c>
    /// (when <paramref name="momentum"/> and the optimiser has one), <c>bn.I.mean</c> and <c>bn.I.var</c> per batch-norm layer.</summary>
    public static IEnumerable<KeyValuePair<string, Tensor>> StateTensors(TrainingState state, bool parameters, bool momentum)
    {
        if (parameters) yield return new("params", state.Parameters.Detach().To(Device.Cpu));
        if (momentum && state.Optimizer.MomentumBuffer is { } buffer) yield return new("momentum", buffer.To(Device.Cpu));
        for (int i = 0; i < state.NetState.Buffers.Count; i++)
        {
            var (mean, var) = state.NetState.Buffers[i];
            yield return new($"bn.{i}.mean", mean.To(Device.Cpu));
            yield return new($"bn.{i}.var", var.To(Device.Cpu));
        }
    }

    /// <summary>Reads back what <see cref="StateTensors"/> wrote, onto the state's device: the parameters (when
    /// <paramref name="parameters"/>; their length checked, <paramref name="expected"/> saying what they belong to), the
    /// momentum buffer when the file holds one (none: cleared) and every batch-norm layer's statistics. Call under
    /// no-grad and a scope.</summary>
    public static void LoadState(TrainingState state, SafeTensorsFile file, bool parameters, string? expected = null)
    {
        var device = state.Parameters.Device;
        if (parameters)
        {
            var weights = file.ReadRequired("params");
            if (weights.Shape.Length != 1 || weights.Size(0) != state.Parameters.NumEl)
                throw new InvalidDataException($"{file.Path}: tensor 'params' has shape [{string.Join(", ", weights.Shape)}], " +
                                               $"expected [{state.Parameters.NumEl}]{(expected is null ? "" : $" ({expected})")}");
            state.Parameters.CopyFrom(weights.To(device));
        }
        for (int i = 0; i < state.NetState.Buffers.Count; i++)
        {
            var (mean, var) = state.NetState.Buffers[i];
            mean.CopyFrom(file.ReadRequired($"bn.{i}.mean").To(device));
            var.CopyFrom(file.ReadRequired($"bn.{i}.var").To(device));
        }
        state.Optimizer.LoadMomentumBuffer(file.Contains("momentum") ? file.Read("momentum").To(device) : null);
    }
}
