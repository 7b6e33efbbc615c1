// Neural-network building blocks: linear algebra, convolution, pooling, norms, losses, warps.
#include "common.h"

using namespace dd;

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
  DD_TRY *out = H(at::grid_sampler(T(x), T(grid), mode, padding, align != 0)); DD_CATCH
}
int dd_interpolate_bilinear(dd_tensor x, int64_t oh, int64_t ow, uint8_t align, dd_tensor* out) {
  DD_TRY *out = H(at::upsample_bilinear2d(T(x), {oh, ow}, align != 0)); DD_CATCH
}

}  // extern "C"
