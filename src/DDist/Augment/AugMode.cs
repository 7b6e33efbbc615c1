namespace DDist.Augment;

/// <summary>Training-time augmentation: none; DSA per minibatch (one family per call, per-sample parameters);
/// simple (random crop with 4 pixels of zero padding, then horizontal flip); or SEL's combined scheme (DSA,
/// with a family per sample, for distilled images and simple for selected real ones).</summary>
public enum AugMode { None, Dsa, Simple, Combined }
