using DDist.Torch;

namespace DDist.Distillation.Unrolling;

/// <summary>The inner training loss of one unrolled step: a scalar from the student's logits on the step's
/// (augmented) mini-batch and the batch's indices into the whole set. <paramref name="extra"/> is the problem's
/// extra leaf (e.g. learnable soft labels) as the engine differentiates it, or null when the problem has none; read
/// labels through it, not through a captured tensor, or their gradient is lost.</summary>
public delegate Tensor StepLoss(Tensor logits, Tensor batchIndex, Tensor? extra);
