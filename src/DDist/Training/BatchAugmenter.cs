using DDist.Torch;

namespace DDist.Training;

/// <summary>Augments one training minibatch (images in normalised space). <paramref name="distilled"/> is a
/// bool (B) mask on the batch's device marking distilled images, or null when the training set has none.
/// Randomness must come from libtorch's global generator so that runs replay from a seed.</summary>
public delegate Tensor BatchAugmenter(Tensor images, Tensor? distilled);
