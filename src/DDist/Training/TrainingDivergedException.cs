namespace DDist.Training;

/// <summary>A network's training loss became NaN or infinite: the settings (learning rate, momentum) make it diverge.
/// The run stops before keeping anything of the diverged epoch; the last checkpoint is left to resume with other
/// settings.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
