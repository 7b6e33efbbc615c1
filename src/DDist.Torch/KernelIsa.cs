namespace DDist.Torch;

/// <summary>An instruction set DDist's fused CPU kernels are compiled for (<see cref="Tensors.FastKernelIsa"/>); the
/// values are the native shim's.</summary>
public enum KernelIsa { Baseline = 0, Avx2 = 1, Avx512 = 2 }
