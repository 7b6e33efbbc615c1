// CPU kernels behind the fast differentiable ops (fast_ops.cpp): group norm forward, its first derivative and its
// hand-derived second derivative, and 2×2 average pooling. Contiguous NCHW float/double only; callers check.
#pragma once
#include <ATen/ATen.h>
#include <tuple>

namespace dd::fast {

// The instruction set the kernels below run with (x86-64 GCC builds; elsewhere always baseline): at first use the
// widest this CPU has, capped by DDIST_MAX_CPU_ISA or else oneDNN's DNNL_MAX_CPU_ISA (AVX2… caps at AVX2; AVX or
// SSE41 at baseline), so that `DNNL_MAX_CPU_ISA=AVX2` makes oneDNN and these kernels alike run as on an AVX2-only
// machine. The variants round alike only up to reassociation: a reduction's order follows the vector width.
enum class Isa : int { baseline = 0, avx2 = 1, avx512 = 2 };
Isa kernel_isa();
// Runs the kernels with `wanted`, or the widest below it this CPU has; returns the one now in use.
Isa set_kernel_isa(Isa wanted);

// y = (x − μ)·rstd·γ + β per (sample, group), then max(y, 0) when relu; also returns μ and rstd, (N, G) float64.
std::tuple<at::Tensor, at::Tensor, at::Tensor> group_norm_forward(const at::Tensor& x, const at::Tensor& gamma,
                                                                  const at::Tensor& beta, int64_t groups, double eps,
                                                                  bool relu);
// (∂L/∂x, ∂L/∂γ, ∂L/∂β) from gy = ∂L/∂y. relu_y: the output of a fused ReLU (undefined = no ReLU).
std::tuple<at::Tensor, at::Tensor, at::Tensor> group_norm_backward(const at::Tensor& gy, const at::Tensor& x,
                                                                   const at::Tensor& mean, const at::Tensor& rstd,
                                                                   const at::Tensor& gamma, int64_t groups,
                                                                   const at::Tensor& relu_y);
// The vector-Jacobian product of group_norm_backward: given (ggx, ggγ, ggβ) (any may be undefined = zero),
// returns the gradients with respect to (gy, x, γ).
std::tuple<at::Tensor, at::Tensor, at::Tensor> group_norm_double_backward(
    const at::Tensor& ggx, const at::Tensor& ggamma, const at::Tensor& gbeta_grad, const at::Tensor& gy,
    const at::Tensor& x, const at::Tensor& mean, const at::Tensor& rstd, const at::Tensor& gamma, int64_t groups,
    const at::Tensor& relu_y);

// Non-overlapping 2×2 mean (floor: an odd last row/column is dropped), and its adjoint.
at::Tensor avg_pool2x2_forward(const at::Tensor& x);
at::Tensor avg_pool2x2_backward(const at::Tensor& gy, int64_t height, int64_t width);

}  // namespace dd::fast
