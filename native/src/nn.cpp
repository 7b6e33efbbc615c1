// Neural-network building blocks: linear algebra, convolution, pooling, norms, losses, warps.
#include "common.h"

using namespace dd;

namespace {

// Bilinear sampling with zero padding (torch.nn.functional.grid_sample's mode="bilinear", padding_mode="zeros") as four
// gathers over the flattened image, one per corner of the cell a sampling point falls in, each weighted by its
// bilinear weight and by whether that corner lies inside the image. Differentiable in the image (gather's backward is a
// scatter-add, whose backward is a gather again: second order comes for free) and in the grid (through the weights).
at::Tensor grid_sample_by_gather(const at::Tensor& x, const at::Tensor& grid, bool align_corners) {
  TORCH_CHECK(x.dim() == 4 && grid.dim() == 4 && grid.size(3) == 2 && grid.size(0) == x.size(0),
              "grid_sample_by_gather: expected an image (N,C,H,W) and a grid (N,Ho,Wo,2) with the same N, got ",
              x.sizes(), " and ", grid.sizes());
  TORCH_CHECK(x.scalar_type() == grid.scalar_type(), "grid_sample_by_gather: the grid's dtype (", grid.scalar_type(),
              ") differs from the image's (", x.scalar_type(), ")");
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t points = grid.size(1) * grid.size(2);
  // Grid coordinates in [-1, 1] to pixel coordinates, as grid_sampler_compute_source_index does.
  auto pixel = [&](const at::Tensor& g, int64_t size) {
    return align_corners ? (g + 1) / 2 * (size - 1) : ((g + 1) * size - 1) / 2;
  };
  auto ix = pixel(grid.select(3, 0).reshape({n, 1, points}), w);
  auto iy = pixel(grid.select(3, 1).reshape({n, 1, points}), h);
  auto x0 = ix.floor().detach(), y0 = iy.floor().detach();
  auto fx = ix - x0, fy = iy - y0;
  auto flat = x.reshape({n, c, h * w});
  auto corner = [&](const at::Tensor& cx, const at::Tensor& cy, const at::Tensor& weight) {
    auto inside = (cx >= 0).logical_and(cx <= w - 1).logical_and(cy >= 0).logical_and(cy <= h - 1);
    auto index = (cy.clamp(0, h - 1) * w + cx.clamp(0, w - 1)).to(at::kLong).expand({n, c, points});
    return flat.gather(2, index) * (weight * inside.to(weight.scalar_type()));
  };
  auto out = corner(x0, y0, (1 - fx) * (1 - fy)) + corner(x0 + 1, y0, fx * (1 - fy)) +
             corner(x0, y0 + 1, (1 - fx) * fy) + corner(x0 + 1, y0 + 1, fx * fy);
  return out.view({n, c, grid.size(1), grid.size(2)});
}

}  // namespace

extern "C" {

int dd_matmul(dd_tensor a, dd_tensor b, dd_tensor* out) { DD_TRY *out = H(at::matmul(T(a), T(b))); DD_CATCH }
int dd_addmm(dd_tensor bias, dd_tensor a, dd_tensor b, double beta, double alpha, dd_tensor* out) {
  DD_TRY *out = H(at::addmm(T(bias), T(a), T(b), beta, alpha)); DD_CATCH
}
int dd_linear(dd_tensor x, dd_tensor w, dd_tensor b, dd_tensor* out) { DD_TRY *out = H(at::linear(T(x), T(w), Opt(b))); DD_CATCH }
int dd_conv2d(dd_tensor x, dd_tensor w, dd_tensor b, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
              int64_t dh, int64_t dw, int64_t groups, dd_tensor* out) {
  DD_TRY *out = H(at::conv2d(T(x), T(w), Opt(b), {sh, sw}, {ph, pw}, {dh, dw}, groups)); DD_CATCH
}
int dd_max_pool2d(dd_tensor x, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, dd_tensor* out) {
  DD_TRY *out = H(at::max_pool2d(T(x), {kh, kw}, {sh, sw}, {ph, pw})); DD_CATCH
}
int dd_avg_pool2d(dd_tensor x, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, dd_tensor* out) {
  DD_TRY *out = H(at::avg_pool2d(T(x), {kh, kw}, {sh, sw}, {ph, pw})); DD_CATCH
}
int dd_adaptive_avg_pool2d(dd_tensor x, int64_t oh, int64_t ow, dd_tensor* out) {
  DD_TRY *out = H(at::adaptive_avg_pool2d(T(x), {oh, ow})); DD_CATCH
}
int dd_batch_norm(dd_tensor x, dd_tensor w, dd_tensor b, dd_tensor rm, dd_tensor rv, uint8_t training, double momentum,
                  double eps, dd_tensor* out) {
  DD_TRY
  *out = H(at::batch_norm(T(x), Opt(w), Opt(b), Opt(rm), Opt(rv), training != 0, momentum, eps, /*cudnn*/ true));
  DD_CATCH
}
int dd_instance_norm(dd_tensor x, dd_tensor w, dd_tensor b, double eps, dd_tensor* out) {
  DD_TRY
  *out = H(at::instance_norm(T(x), Opt(w), Opt(b), nullopt, nullopt, true, 0.1, eps, true));
  DD_CATCH
}
int dd_group_norm(dd_tensor x, int64_t groups, dd_tensor w, dd_tensor b, double eps, dd_tensor* out) {
  DD_TRY *out = H(at::group_norm(T(x), groups, Opt(w), Opt(b), eps, true)); DD_CATCH
}
int dd_layer_norm(dd_tensor x, const int64_t* ns, int64_t n, dd_tensor w, dd_tensor b, double eps, dd_tensor* out) {
  DD_TRY *out = H(at::layer_norm(T(x), Dims(ns, n), Opt(w), Opt(b), eps, true)); DD_CATCH
}
int dd_cross_entropy(dd_tensor logits, dd_tensor target, int64_t reduction, double smoothing, dd_tensor* out) {
  DD_TRY
  *out = H(at::cross_entropy_loss(T(logits), T(target), nullopt, reduction, -100, smoothing));
  DD_CATCH
}
int dd_mse_loss(dd_tensor a, dd_tensor b, int64_t reduction, dd_tensor* out) { DD_TRY *out = H(at::mse_loss(T(a), T(b), reduction)); DD_CATCH }
int dd_affine_grid(dd_tensor theta, const int64_t* size, int64_t n, uint8_t align, dd_tensor* out) {
  DD_TRY *out = H(at::affine_grid_generator(T(theta), Dims(size, n), align != 0)); DD_CATCH
}
int dd_grid_sample(dd_tensor x, dd_tensor grid, int64_t mode, int64_t padding, uint8_t align, dd_tensor* out) {
  DD_TRY
  const at::Tensor& input = T(x);
  // grid_sampler_2d's CUDA backward accumulates with atomics and libtorch has no deterministic kernel for it; in
  // deterministic mode the bilinear, zero-padded case (DSA's rotate and scale) goes through gathers instead, whose
  // backward libtorch makes deterministic on CUDA in that mode. The CPU kernels repeat already and are faster.
  bool gather = mode == 0 && padding == 0 && input.is_cuda() && at::globalContext().deterministicAlgorithms();
  *out = H(gather ? grid_sample_by_gather(input, T(grid), align != 0) : at::grid_sampler(input, T(grid), mode, padding, align != 0));
  DD_CATCH
}
int dd_grid_sample_gather(dd_tensor x, dd_tensor grid, uint8_t align, dd_tensor* out) {
  DD_TRY *out = H(grid_sample_by_gather(T(x), T(grid), align != 0)); DD_CATCH
}
int dd_interpolate_bilinear(dd_tensor x, int64_t oh, int64_t ow, uint8_t align, dd_tensor* out) {
  DD_TRY *out = H(at::upsample_bilinear2d(T(x), {oh, ow}, align != 0)); DD_CATCH
}

}  // extern "C"
