// Reductions over all or some dimensions.
#include "common.h"

using namespace dd;

extern "C" {

int dd_reduce(int32_t op, dd_tensor a, const int64_t* dims, int64_t n, uint8_t keep, dd_tensor* out) {
  DD_TRY
  const auto& x = T(a);
  bool all = n == 0;
  auto d = Dims(dims, n);
  at::Tensor r;
  switch (op) {
    case DD_R_SUM: r = all ? x.sum() : x.sum(d, keep); break;
    case DD_R_MEAN: r = all ? x.mean() : x.mean(d, keep); break;
    case DD_R_AMAX: r = all ? x.amax(at::IntArrayRef{}) : x.amax(d, keep); break;
    case DD_R_AMIN: r = all ? x.amin(at::IntArrayRef{}) : x.amin(d, keep); break;
    case DD_R_PROD:
      if (n > 1) throw std::invalid_argument("prod reduces over one dimension or all");
      r = all ? x.prod() : x.prod(dims[0], keep);
      break;
    case DD_R_LOGSUMEXP: {
      if (all) r = x.flatten().logsumexp(0, false);
      else r = x.logsumexp(d, keep);
      break;
    }
    default: throw std::invalid_argument("unknown reduction " + std::to_string(op));
  }
  *out = H(r);
  DD_CATCH
}
int dd_var(dd_tensor a, const int64_t* dims, int64_t n, int64_t correction, uint8_t keep, uint8_t take_sqrt, dd_tensor* out) {
  DD_TRY
  // The `unbiased` overload exists unchanged in every libtorch we build against, while the `correction` one took
  // an int64 in 1.13 and a Scalar from 2.0; corrections 0 and 1 are all DDist needs.
  if (correction != 0 && correction != 1)
    throw std::invalid_argument("var/std: correction must be 0 or 1, got " + std::to_string(correction));
  at::OptionalIntArrayRef d = n == 0 ? at::OptionalIntArrayRef() : at::OptionalIntArrayRef(Dims(dims, n));
  bool unbiased = correction == 1;
  *out = H(take_sqrt ? at::std(T(a), d, unbiased, keep) : at::var(T(a), d, unbiased, keep));
  DD_CATCH
}
int dd_norm(dd_tensor a, double p, const int64_t* dims, int64_t n, uint8_t keep, dd_tensor* out) {
  DD_TRY
  *out = H(n == 0 ? at::norm(T(a), p) : at::norm(T(a), p, Dims(dims, n), keep));
  DD_CATCH
}
int dd_max_dim(dd_tensor a, int64_t dim, uint8_t keep, uint8_t is_min, dd_tensor* values, dd_tensor* indices) {
  DD_TRY
  auto r = is_min ? at::min(T(a), dim, keep) : at::max(T(a), dim, keep);
  *values = H(std::get<0>(r));
  *indices = H(std::get<1>(r));
  DD_CATCH
}
int dd_argmax(dd_tensor a, int64_t dim, uint8_t keep, dd_tensor* out) { DD_TRY *out = H(at::argmax(T(a), dim, keep)); DD_CATCH }

}  // extern "C"
