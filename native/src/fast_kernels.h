// CPU kernels behind the fast differentiable ops (fast_ops.cpp): group norm forward, its first derivative and its
// hand-derived second derivative, and 2×2 average pooling. Contiguous NCHW float/double only; callers check.
#pragma once
#include <ATen/ATen.h>
#include <tuple>

namespace dd::fast {

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
