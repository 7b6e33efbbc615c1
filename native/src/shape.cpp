// Views, shape changes, joining, splitting and indexing.
#include "common.h"
#include <vector>

using namespace dd;

static std::vector<at::Tensor> list(const dd_tensor* ts, int64_t n) {
  std::vector<at::Tensor> v;
  v.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v.push_back(T(ts[i]));
  return v;
}

extern "C" {

int dd_reshape(dd_tensor a, const int64_t* s, int64_t n, dd_tensor* out) { DD_TRY *out = H(T(a).reshape(Dims(s, n))); DD_CATCH }
int dd_view(dd_tensor a, const int64_t* s, int64_t n, dd_tensor* out) { DD_TRY *out = H(T(a).view(Dims(s, n))); DD_CATCH }
int dd_permute(dd_tensor a, const int64_t* d, int64_t n, dd_tensor* out) { DD_TRY *out = H(T(a).permute(Dims(d, n))); DD_CATCH }
int dd_transpose(dd_tensor a, int64_t d0, int64_t d1, dd_tensor* out) { DD_TRY *out = H(T(a).transpose(d0, d1)); DD_CATCH }
int dd_narrow(dd_tensor a, int64_t dim, int64_t start, int64_t len, dd_tensor* out) { DD_TRY *out = H(T(a).narrow(dim, start, len)); DD_CATCH }
int dd_slice(dd_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step, dd_tensor* out) {
  DD_TRY *out = H(T(a).slice(dim, start, end, step)); DD_CATCH
}
int dd_select(dd_tensor a, int64_t dim, int64_t index, dd_tensor* out) { DD_TRY *out = H(T(a).select(dim, index)); DD_CATCH }
int dd_squeeze(dd_tensor a, int64_t dim, dd_tensor* out) { DD_TRY *out = H(T(a).squeeze(dim)); DD_CATCH }
int dd_unsqueeze(dd_tensor a, int64_t dim, dd_tensor* out) { DD_TRY *out = H(T(a).unsqueeze(dim)); DD_CATCH }
int dd_flatten(dd_tensor a, int64_t s, int64_t e, dd_tensor* out) { DD_TRY *out = H(T(a).flatten(s, e)); DD_CATCH }
int dd_expand(dd_tensor a, const int64_t* s, int64_t n, dd_tensor* out) { DD_TRY *out = H(T(a).expand(Dims(s, n))); DD_CATCH }
int dd_repeat(dd_tensor a, const int64_t* r, int64_t n, dd_tensor* out) { DD_TRY *out = H(T(a).repeat(Dims(r, n))); DD_CATCH }
int dd_flip(dd_tensor a, const int64_t* d, int64_t n, dd_tensor* out) { DD_TRY *out = H(T(a).flip(Dims(d, n))); DD_CATCH }
int dd_roll(dd_tensor a, const int64_t* s, const int64_t* d, int64_t n, dd_tensor* out) {
  DD_TRY *out = H(T(a).roll(Dims(s, n), Dims(d, n))); DD_CATCH
}
int dd_index_select(dd_tensor a, int64_t dim, dd_tensor idx, dd_tensor* out) { DD_TRY *out = H(T(a).index_select(dim, T(idx))); DD_CATCH }
int dd_gather(dd_tensor a, int64_t dim, dd_tensor idx, dd_tensor* out) { DD_TRY *out = H(T(a).gather(dim, T(idx))); DD_CATCH }
int dd_scatter(dd_tensor a, int64_t dim, dd_tensor idx, dd_tensor src, dd_tensor* out) {
  DD_TRY *out = H(T(a).scatter(dim, T(idx), T(src))); DD_CATCH
}
int dd_scatter_add(dd_tensor a, int64_t dim, dd_tensor idx, dd_tensor src, dd_tensor* out) {
  DD_TRY *out = H(T(a).scatter_add(dim, T(idx), T(src))); DD_CATCH
}
int dd_cat(const dd_tensor* ts, int64_t n, int64_t dim, dd_tensor* out) { DD_TRY *out = H(at::cat(list(ts, n), dim)); DD_CATCH }
int dd_stack(const dd_tensor* ts, int64_t n, int64_t dim, dd_tensor* out) { DD_TRY *out = H(at::stack(list(ts, n), dim)); DD_CATCH }
int dd_split_sizes(dd_tensor a, const int64_t* sizes, int64_t n, int64_t dim, dd_tensor* outs) {
  DD_TRY
  auto parts = T(a).split_with_sizes(Dims(sizes, n), dim);
  for (size_t i = 0; i < parts.size(); ++i) outs[i] = H(parts[i]);
  DD_CATCH
}
int dd_constant_pad(dd_tensor a, const int64_t* pad, int64_t npad, double value, dd_tensor* out) {
  DD_TRY *out = H(at::constant_pad_nd(T(a), Dims(pad, npad), value)); DD_CATCH
}
int dd_one_hot(dd_tensor labels, int64_t classes, dd_tensor* out) { DD_TRY *out = H(at::one_hot(T(labels), classes)); DD_CATCH }

}  // extern "C"
