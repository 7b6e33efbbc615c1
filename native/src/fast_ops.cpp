// Differentiable conv2d, group norm and 2×2 average pooling with hand-written first AND second derivatives, for
// trajectory matching (Cazenavette et al. 2022), which differentiates the student's SGD steps a second time.
// libtorch's own double backward of these ops is slow on CPU: group norm's is hundreds of small elementwise ops,
// and the convolution's routes one term through slow_conv_transpose2d. Here:
//  - conv2d: the backward is itself a Function (ConvBackwardFn) whose backward uses only forward convolutions
//    and at::convolution_backward (oneDNN on CPU), so every term stays on the fast kernels;
//  - group norm: fused CPU kernels for forward, backward and double backward (fast_kernels.cpp);
//  - avg pool 2×2: a fused kernel; it is linear, so its backward's backward is the pooling itself.
// Values and derivatives equal libtorch's composite ops (tests/DDist.Torch.Tests/FastOpsTests.cs). Inputs the
// kernels do not cover (CUDA, half types, other pooling shapes) take the composite path unchanged.
#include "common.h"
#include "fast_kernels.h"

using namespace dd;
using torch::autograd::AutogradContext;
using torch::autograd::Function;
using torch::autograd::variable_list;

namespace {

// ---------------------------------------------------------------- convolution

struct ConvArgs {
  std::vector<int64_t> stride, padding, dilation;
  int64_t groups;
};
ConvArgs conv_args(AutogradContext* ctx) {
  return {ctx->saved_data["stride"].toIntVector(), ctx->saved_data["padding"].toIntVector(),
          ctx->saved_data["dilation"].toIntVector(), ctx->saved_data["groups"].toInt()};
}
void save_conv_args(AutogradContext* ctx, const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                    const std::vector<int64_t>& dilation, int64_t groups) {
  ctx->saved_data["stride"] = stride;
  ctx->saved_data["padding"] = padding;
  ctx->saved_data["dilation"] = dilation;
  ctx->saved_data["groups"] = groups;
}
at::Tensor conv(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const ConvArgs& a) {
  return at::convolution(x, w, b.defined() ? c10::optional<at::Tensor>(b) : c10::nullopt, a.stride, a.padding,
                         a.dilation, false, {0, 0}, a.groups);
}
std::tuple<at::Tensor, at::Tensor, at::Tensor> conv_backward(const at::Tensor& gO, const at::Tensor& x,
                                                             const at::Tensor& w, bool bias, const ConvArgs& a,
                                                             std::array<bool, 3> mask) {
  std::vector<int64_t> bias_sizes{w.size(0)};
  return at::convolution_backward(gO, x, w, bias ? c10::optional<at::IntArrayRef>(bias_sizes) : c10::nullopt,
                                  a.stride, a.padding, a.dilation, false, {0, 0}, a.groups, mask);
}

// The first derivative as a differentiable op of (gO, x, w): (gI, gW, gb) = convolution_backward.
// Its own backward, for (ggI, ggW, ggb):
//   ∂/∂gO = conv(ggI, w) + conv(x, ggW) + ggb    (forward convolutions)
//   ∂/∂x  = input-gradient of a conv with weight ggW at output gradient gO
//   ∂/∂w  = weight-gradient of a conv with input ggI at output gradient gO
// Outputs it was not asked for are zeros (a custom Function cannot return undefined outputs).
struct ConvBackwardFn : public Function<ConvBackwardFn> {
  static variable_list forward(AutogradContext* ctx, const at::Tensor& gO, const at::Tensor& x, const at::Tensor& w,
                               std::vector<int64_t> stride, std::vector<int64_t> padding,
                               std::vector<int64_t> dilation, int64_t groups, std::vector<int64_t> mask) {
    save_conv_args(ctx, stride, padding, dilation, groups);
    ctx->save_for_backward({gO, x, w});
    ctx->set_materialize_grads(false);
    auto a = conv_args(ctx);
    auto [gI, gW, gb] = conv_backward(gO, x, w, true, a, {mask[0] != 0, mask[1] != 0, mask[2] != 0});
    if (!gI.defined()) gI = at::zeros_like(x);
    if (!gW.defined()) gW = at::zeros_like(w);
    if (!gb.defined()) gb = at::zeros({w.size(0)}, w.options());
    return {gI, gW, gb};
  }

  static variable_list backward(AutogradContext* ctx, variable_list gg) {
    auto saved = ctx->get_saved_variables();
    const auto &gO = saved[0], &x = saved[1], &w = saved[2];
    auto a = conv_args(ctx);
    const auto &ggI = gg[0], &ggW = gg[1], &ggb = gg[2];
    at::Tensor d_gO, d_x, d_w;
    if (ctx->needs_input_grad(0)) {
      if (ggI.defined()) d_gO = conv(ggI, w, ggb, a);
      if (ggW.defined()) {
        // ggb rides along as this conv's bias when the first conv did not take it.
        auto t = conv(x, ggW, ggI.defined() ? at::Tensor() : ggb, a);
        d_gO = d_gO.defined() ? d_gO + t : t;
      }
      if (!d_gO.defined() && ggb.defined()) {
        std::vector<int64_t> shape(gO.dim(), 1);
        shape[1] = ggb.size(0);
        d_gO = ggb.reshape(shape).expand(gO.sizes()).contiguous();
      }
    }
    if (ctx->needs_input_grad(1) && ggW.defined()) d_x = std::get<0>(conv_backward(gO, x, ggW, false, a, {true, false, false}));
    if (ctx->needs_input_grad(2) && ggI.defined()) d_w = std::get<1>(conv_backward(gO, ggI, w, false, a, {false, true, false}));
    return {d_gO, d_x, d_w, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

struct ConvFn : public Function<ConvFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w,
                            const c10::optional<at::Tensor>& b, std::vector<int64_t> stride,
                            std::vector<int64_t> padding, std::vector<int64_t> dilation, int64_t groups) {
    save_conv_args(ctx, stride, padding, dilation, groups);
    ctx->saved_data["bias"] = b.has_value() && b->defined();
    ctx->save_for_backward({x, w});
    return conv(x, w, b.has_value() ? *b : at::Tensor(), conv_args(ctx));
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &w = saved[1];
    const bool bias = ctx->saved_data["bias"].toBool();
    const std::array<bool, 3> mask{ctx->needs_input_grad(0), ctx->needs_input_grad(1),
                                   bias && ctx->needs_input_grad(2)};
    auto a = conv_args(ctx);
    at::Tensor gI, gW, gb;
    if (at::GradMode::is_enabled()) {  // create_graph: the derivative must itself be differentiable
      auto r = ConvBackwardFn::apply(grads[0], x, w, a.stride, a.padding, a.dilation, a.groups,
                                     std::vector<int64_t>{mask[0], mask[1], mask[2]});
      gI = r[0]; gW = r[1]; gb = r[2];
    } else {
      std::tie(gI, gW, gb) = conv_backward(grads[0], x, w, bias, a, mask);
    }
    if (!mask[0]) gI = at::Tensor();
    if (!mask[1]) gW = at::Tensor();
    if (!bias || !mask[2]) gb = at::Tensor();
    return {gI, gW, gb, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

// ---------------------------------------------------------------- group norm

bool kernels_cover(const at::Tensor& x) {
  return x.device().is_cpu() && (x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble) && x.dim() >= 2 &&
         !x.is_mkldnn() && !x.is_sparse();
}

// The first derivative as a differentiable op of (gy, x, γ); mean and rstd are x's statistics, taken as given
// (the double backward differentiates through them analytically). relu_y (detached, may be undefined) is the
// output of a fused ReLU: its mask [y > 0] is piecewise constant, so it has no derivative of its own.
struct GroupNormBackwardFn : public Function<GroupNormBackwardFn> {
  static variable_list forward(AutogradContext* ctx, const at::Tensor& gy, const at::Tensor& x,
                               const at::Tensor& gamma, const at::Tensor& mean, const at::Tensor& rstd,
                               const c10::optional<at::Tensor>& relu_y_opt, int64_t groups) {
    const at::Tensor relu_y = relu_y_opt.has_value() ? *relu_y_opt : at::Tensor();
    ctx->saved_data["groups"] = groups;
    ctx->saved_data["relu"] = relu_y.defined();
    ctx->save_for_backward(relu_y.defined() ? variable_list{gy, x, gamma, mean, rstd, relu_y}
                                            : variable_list{gy, x, gamma, mean, rstd});
    ctx->set_materialize_grads(false);
    auto [gx, gg, gb] = fast::group_norm_backward(gy.contiguous(), x, mean, rstd, gamma.contiguous(), groups, relu_y);
    return {gx, gg, gb};
  }

  static variable_list backward(AutogradContext* ctx, variable_list gg) {
    auto s = ctx->get_saved_variables();
    TORCH_CHECK(!at::GradMode::is_enabled() ||
                    !(s[0].requires_grad() || s[1].requires_grad() || s[2].requires_grad()),
                "fast group norm: derivatives of third order are not implemented (create_graph in a second backward)");
    auto u = gg[0].defined() ? gg[0].contiguous() : at::Tensor();
    auto [d_gy, d_x, d_gamma] = fast::group_norm_double_backward(u, gg[1], gg[2], s[0].contiguous(), s[1], s[3], s[4],
                                                                 s[2].contiguous(), ctx->saved_data["groups"].toInt(),
                                                                 ctx->saved_data["relu"].toBool() ? s[5] : at::Tensor());
    return {d_gy, d_x, d_gamma, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

// Group norm, optionally followed by a fused ReLU (one pass and one tensor fewer in each of the forward, the
// backward and the double backward).
struct GroupNormFn : public Function<GroupNormFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& gamma,
                            const at::Tensor& beta, int64_t groups, double eps, bool relu) {
    auto [y, mean, rstd] = fast::group_norm_forward(x.contiguous(), gamma.contiguous(), beta.contiguous(), groups, eps, relu);
    ctx->saved_data["groups"] = groups;
    ctx->saved_data["mean"] = mean;
    ctx->saved_data["rstd"] = rstd;
    ctx->saved_data["relu"] = relu;
    // The inputs themselves, so the second derivative reaches their graph; the output for the ReLU mask.
    ctx->save_for_backward(relu ? variable_list{x, gamma, y} : variable_list{x, gamma});
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto s = ctx->get_saved_variables();
    s[0] = s[0].contiguous();  // differentiable when create_graph is on
    auto mean = ctx->saved_data["mean"].toTensor(), rstd = ctx->saved_data["rstd"].toTensor();
    const int64_t groups = ctx->saved_data["groups"].toInt();
    const at::Tensor relu_y = ctx->saved_data["relu"].toBool() ? s[2].detach().contiguous() : at::Tensor();
    at::Tensor gx, gg, gb;
    if (at::GradMode::is_enabled()) {
      auto r = GroupNormBackwardFn::apply(grads[0], s[0], s[1], mean, rstd,
                                          relu_y.defined() ? c10::optional<at::Tensor>(relu_y) : c10::nullopt, groups);
      gx = r[0]; gg = r[1]; gb = r[2];
    } else {
      std::tie(gx, gg, gb) =
          fast::group_norm_backward(grads[0].contiguous(), s[0], mean, rstd, s[1].contiguous(), groups, relu_y);
    }
    return {gx, gg, gb, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

// ---------------------------------------------------------------- 2×2 average pooling

struct AvgPool2x2Fn;
struct AvgPool2x2BackwardFn : public Function<AvgPool2x2BackwardFn> {
  static at::Tensor forward(AutogradContext*, const at::Tensor& gy, int64_t height, int64_t width) {
    return fast::avg_pool2x2_backward(gy.contiguous(), height, width);
  }
  static variable_list backward(AutogradContext* ctx, variable_list gg);
};
struct AvgPool2x2Fn : public Function<AvgPool2x2Fn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x) {
    ctx->saved_data["height"] = x.size(-2);
    ctx->saved_data["width"] = x.size(-1);
    return fast::avg_pool2x2_forward(x.contiguous());
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    return {AvgPool2x2BackwardFn::apply(grads[0], ctx->saved_data["height"].toInt(), ctx->saved_data["width"].toInt())};
  }
};
// Pooling is linear: the adjoint of its adjoint is itself.
variable_list AvgPool2x2BackwardFn::backward(AutogradContext*, variable_list gg) {
  return {AvgPool2x2Fn::apply(gg[0]), at::Tensor(), at::Tensor()};
}

}  // namespace

extern "C" {

int dd_fast_conv2d(dd_tensor x, dd_tensor w, dd_tensor b, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                   int64_t dw, int64_t groups, dd_tensor* out) {
  DD_TRY
  const auto& xt = T(x);
  const auto& wt = T(w);
  TORCH_CHECK(xt.dim() == 4 && wt.dim() == 4, "conv2d expects a 4-d input (N, C, H, W) and a 4-d weight, got ",
              xt.sizes(), " and ", wt.sizes());
  *out = H(ConvFn::apply(xt, wt, Opt(b), std::vector<int64_t>{sh, sw}, std::vector<int64_t>{ph, pw},
                         std::vector<int64_t>{dh, dw}, groups));
  DD_CATCH
}

int dd_fast_group_norm(dd_tensor x, int64_t groups, dd_tensor w, dd_tensor b, double eps, uint8_t relu, dd_tensor* out) {
  DD_TRY
  const auto& xt = T(x);
  const bool fits = kernels_cover(xt) && groups > 0 && xt.size(1) % groups == 0 && w != nullptr && b != nullptr &&
                    T(w).scalar_type() == xt.scalar_type() && T(b).scalar_type() == xt.scalar_type() &&
                    T(w).numel() == xt.size(1) && T(b).numel() == xt.size(1) && T(w).device().is_cpu();
  if (fits) {
    *out = H(GroupNormFn::apply(xt, T(w), T(b), groups, eps, relu != 0));
  } else {
    auto y = at::group_norm(xt, groups, Opt(w), Opt(b), eps, true);
    *out = H(relu ? at::relu(y) : y);
  }
  DD_CATCH
}

int dd_fast_avg_pool2d(dd_tensor x, int64_t kernel, dd_tensor* out) {
  DD_TRY
  const auto& xt = T(x);
  const bool fits = kernel == 2 && kernels_cover(xt) && xt.dim() == 4 && xt.size(2) >= 2 && xt.size(3) >= 2;
  *out = H(fits ? AvgPool2x2Fn::apply(xt) : at::avg_pool2d(xt, {kernel, kernel}, {kernel, kernel}));
  DD_CATCH
}

int dd_fast_kernel_isa(int32_t set, int32_t* now) {
  DD_TRY
  TORCH_CHECK(set <= static_cast<int32_t>(dd::fast::Isa::avx512), "fast kernel instruction set ", set,
              ": expected 0 (baseline), 1 (AVX2) or 2 (AVX-512)");
  *now = static_cast<int32_t>(set < 0 ? dd::fast::kernel_isa() : dd::fast::set_kernel_isa(static_cast<dd::fast::Isa>(set)));
  DD_CATCH
}

}  // extern "C"
