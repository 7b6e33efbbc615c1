// Creation of tensors, random sampling, and copies between host memory and tensors.
#include "common.h"
#include <cstring>

using namespace dd;

extern "C" {

int dd_empty(const int64_t* s, int64_t n, int32_t dt, int32_t dev, int64_t di, dd_tensor* out) {
  DD_TRY *out = H(at::empty(Dims(s, n), options(dt, dev, di))); DD_CATCH
}
int dd_zeros(const int64_t* s, int64_t n, int32_t dt, int32_t dev, int64_t di, dd_tensor* out) {
  DD_TRY *out = H(at::zeros(Dims(s, n), options(dt, dev, di))); DD_CATCH
}
int dd_ones(const int64_t* s, int64_t n, int32_t dt, int32_t dev, int64_t di, dd_tensor* out) {
  DD_TRY *out = H(at::ones(Dims(s, n), options(dt, dev, di))); DD_CATCH
}
int dd_full(const int64_t* s, int64_t n, double v, int32_t dt, int32_t dev, int64_t di, dd_tensor* out) {
  DD_TRY *out = H(at::full(Dims(s, n), v, options(dt, dev, di))); DD_CATCH
}
int dd_rand(const int64_t* s, int64_t n, int32_t dt, int32_t dev, int64_t di, dd_tensor* out) {
  DD_TRY *out = H(at::rand(Dims(s, n), options(dt, dev, di))); DD_CATCH
}
int dd_randn(const int64_t* s, int64_t n, int32_t dt, int32_t dev, int64_t di, dd_tensor* out) {
  DD_TRY *out = H(at::randn(Dims(s, n), options(dt, dev, di))); DD_CATCH
}
int dd_randint(int64_t lo, int64_t hi, const int64_t* s, int64_t n, int32_t dt, int32_t dev, int64_t di, dd_tensor* out) {
  DD_TRY *out = H(at::randint(lo, hi, Dims(s, n), options(dt, dev, di))); DD_CATCH
}
int dd_randperm(int64_t n, int32_t dt, int32_t dev, int64_t di, dd_tensor* out) {
  DD_TRY *out = H(at::randperm(n, options(dt, dev, di))); DD_CATCH
}
int dd_arange(double start, double end, double step, int32_t dt, int32_t dev, int64_t di, dd_tensor* out) {
  DD_TRY *out = H(at::arange(start, end, step, options(dt, dev, di))); DD_CATCH
}
int dd_uniform_(dd_tensor t, double from, double to) { DD_TRY T(t).uniform_(from, to); DD_CATCH }

int dd_from_data(const void* data, int64_t nbytes, const int64_t* s, int64_t n, int32_t dt, dd_tensor* out) {
  DD_TRY
  auto t = at::empty(Dims(s, n), options(dt, DD_CPU, 0));
  int64_t expected = t.numel() * static_cast<int64_t>(t.element_size());
  if (expected != nbytes)
    throw std::invalid_argument("data has " + std::to_string(nbytes) + " bytes, shape needs " + std::to_string(expected));
  if (nbytes > 0) std::memcpy(t.data_ptr(), data, static_cast<size_t>(nbytes));
  *out = H(t);
  DD_CATCH
}
int dd_to_data(dd_tensor h, void* data, int64_t nbytes) {
  DD_TRY
  auto t = T(h).detach().to(at::kCPU).contiguous();
  int64_t have = t.numel() * static_cast<int64_t>(t.element_size());
  if (have != nbytes)
    throw std::invalid_argument("tensor has " + std::to_string(have) + " bytes, buffer has " + std::to_string(nbytes));
  if (nbytes > 0) std::memcpy(data, t.data_ptr(), static_cast<size_t>(nbytes));
  DD_CATCH
}
int dd_to(dd_tensor t, int32_t dt, int32_t dev, int64_t di, dd_tensor* out) {
  DD_TRY *out = H(T(t).to(options(dt, dev, di))); DD_CATCH
}
int dd_clone(dd_tensor t, dd_tensor* out) { DD_TRY *out = H(T(t).clone()); DD_CATCH }
int dd_detach(dd_tensor t, dd_tensor* out) { DD_TRY *out = H(T(t).detach()); DD_CATCH }
int dd_contiguous(dd_tensor t, dd_tensor* out) { DD_TRY *out = H(T(t).contiguous()); DD_CATCH }

}  // extern "C"
