using System.Globalization;
using System.Text.Json;
using DDist.Models;
using DDist.Torch;
using DDist.Torch.IO;

namespace DDist.Training.Experts;

/// <summary>The on-disk progress of one unfinished expert, in DIR/.partial/expert_NNNN/:
/// epoch_EEE.safetensors per finished epoch (the snapshot, tensor "params"), and checkpoint.safetensors with
/// what else the next epoch needs — momentum buffer, BN running statistics, libtorch's RNG state — plus the
/// config and history so far. Each file is written atomically, snapshot first, so the checkpoint never points
/// at a snapshot that is not on disk.</summary>
internal sealed class ExpertCheckpoint
{
    private const string Format = "ddist.expert-checkpoint.v1";

    public string Directory { get; }
    private string StatePath => Path.Combine(Directory, "checkpoint.safetensors");

    public ExpertCheckpoint(string directory) => Directory = directory;

    public bool Exists => File.Exists(StatePath);

    public string SnapshotPath(int epoch) => Path.Combine(Directory, $"epoch_{epoch:D3}.safetensors");

    public void SaveSnapshot(int epoch, Tensor parametersCpu) =>
        SafeTensors.Save(SnapshotPath(epoch), [new KeyValuePair<string, Tensor>("params", parametersCpu)]);

    public Tensor LoadSnapshot(int epoch)
    {
        using var file = SafeTensorsFile.Open(SnapshotPath(epoch));
        return file.Read("params");
    }

    /// <summary>Records that <paramref name="epochsDone"/> epochs are finished and what resuming needs.</summary>
    public void Save(int epochsDone, TrainingState state, ExpertConfig config, ExpertHistory history)
    {
        using var scope = new TensorScope();
        using var rng = RngSnapshot.Take(state.Parameters.Device);
        // The parameters live in the epoch's snapshot, written before this file.
        var tensors = rng.Entries("rng").Concat(TrainingCheckpoint.StateTensors(state, parameters: false, momentum: true));
        SafeTensors.Save(StatePath, tensors, new Dictionary<string, string>
        {
            ["format"] = Format,
            ["epochs_done"] = epochsDone.ToString(CultureInfo.InvariantCulture),
            ["config"] = JsonSerializer.Serialize(config, ExpertMetadata.Json),
            ["history"] = JsonSerializer.Serialize(history, ExpertMetadata.Json),
        });
    }

    /// <summary>Restores the state after the last checkpointed epoch into <paramref name="state"/> (parameters,
    /// BN statistics, momentum) and into libtorch's generator; returns the epochs done and the history.
    /// Throws when the checkpoint was made with a different config.</summary>
    public (int EpochsDone, ExpertHistory History) Restore(TrainingState state, ExpertConfig expected)
    {
        using var file = SafeTensorsFile.Open(StatePath);
        string Meta(string key) => file.RequiredMetadata(key);
        if (Meta("format") != Format)
            throw new InvalidDataException($"{StatePath}: metadata field 'format' is '{Meta("format")}', expected '{Format}'");
        var config = JsonSerializer.Deserialize<ExpertConfig>(Meta("config"), ExpertMetadata.Json)
                     ?? throw new InvalidDataException($"{StatePath}: metadata field 'config' is empty");
        if (ExpertMetadata.FirstDifference(config, expected) is { } diff)
            throw new InvalidDataException($"{StatePath}: this unfinished expert was started with other settings ({diff}); " +
                                                "delete the .partial folder or train into another directory");
        var history = JsonSerializer.Deserialize<ExpertHistory>(Meta("history"), ExpertMetadata.Json)
                      ?? throw new InvalidDataException($"{StatePath}: metadata field 'history' is empty");
        int done = int.Parse(Meta("epochs_done"), CultureInfo.InvariantCulture);

        using var scope = new TensorScope();
        using var noGrad = Tensors.NoGrad();
        var device = state.Parameters.Device;
        state.Parameters.CopyFrom(LoadSnapshot(done).To(device));
        TrainingCheckpoint.LoadState(state, file, parameters: false);
        RngSnapshot.RestoreCheckpoint(file, "rng", device);
        state.NextEpoch = done;
        return (done, history);
    }

    public void Delete()
    {
        if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, recursive: true);
    }
}
