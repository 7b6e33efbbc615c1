// Library identity, errors, global state (seed, threads, grad mode) and handle metadata.
#include "common.h"
#include <ATen/Parallel.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/version.h>
#include <cstring>
#include <c10/util/Logging.h>

namespace dd {
static thread_local std::string last_error;
std::atomic<int64_t> live_tensors{0};
void set_error(const char* msg) { last_error = msg ? msg : ""; }

// libtorch symbolises a C++ backtrace for every c10::Error it builds (~2.6 ms each). The shim reports
// errors by message only, so skip that work; installed once when the library loads.
static const bool no_backtraces = [] {
  c10::SetStackTraceFetcher([] { return std::string(); });
  return true;
}();

at::ScalarType to_scalar_type(int32_t dtype) {
  switch (dtype) {
    case DD_FLOAT32: return at::kFloat;
    case DD_FLOAT64: return at::kDouble;
    case DD_INT64: return at::kLong;
    case DD_UINT8: return at::kByte;
    case DD_BOOL: return at::kBool;
    case DD_INT32: return at::kInt;
  }
  throw std::invalid_argument("unknown dtype code " + std::to_string(dtype));
}
int32_t from_scalar_type(at::ScalarType st) {
  switch (st) {
    case at::kFloat: return DD_FLOAT32;
    case at::kDouble: return DD_FLOAT64;
    case at::kLong: return DD_INT64;
    case at::kByte: return DD_UINT8;
    case at::kBool: return DD_BOOL;
    case at::kInt: return DD_INT32;
    default: return -1;  // a dtype DDist does not expose
  }
}
at::Device to_device(int32_t dev, int64_t index) {
  if (dev == DD_CPU) return at::Device(at::kCPU);
  if (dev == DD_CUDA) return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index < 0 ? 0 : index));
  throw std::invalid_argument("unknown device code " + std::to_string(dev));
}
at::TensorOptions options(int32_t dtype, int32_t dev, int64_t index) {
  return at::TensorOptions().dtype(to_scalar_type(dtype)).device(to_device(dev, index));
}
}  // namespace dd

using namespace dd;

extern "C" {

int dd_abi_version(void) { return DD_ABI_VERSION; }
const char* dd_torch_version(void) { return TORCH_VERSION; }
const char* dd_last_error(void) { return dd::last_error.c_str(); }
int64_t dd_live_tensors(void) { return live_tensors.load(); }

int dd_cuda_is_available(uint8_t* out) { DD_TRY *out = torch::cuda::is_available(); DD_CATCH }
int dd_cuda_device_count(int64_t* out) { DD_TRY *out = static_cast<int64_t>(torch::cuda::device_count()); DD_CATCH }
int dd_cuda_synchronize(void) {
  DD_TRY
  if (torch::cuda::is_available()) torch::cuda::synchronize();
  DD_CATCH
}
int dd_cuda_empty_cache(void) {
  // The CUDA caching allocator lives in libtorch_cuda; reaching it needs CUDA headers.
  // Releasing cached blocks is an optimisation, so on CPU builds this is a successful no-op.
  DD_TRY DD_CATCH
}
int dd_manual_seed(uint64_t seed) { DD_TRY torch::manual_seed(seed); DD_CATCH }
int dd_get_rng_state(dd_tensor* out) {
  DD_TRY
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  *out = H(gen.get_state());
  DD_CATCH
}
int dd_set_rng_state(dd_tensor state) {
  DD_TRY
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(T(state));
  DD_CATCH
}
int dd_set_num_threads(int64_t n) { DD_TRY at::set_num_threads(static_cast<int>(n)); DD_CATCH }
int dd_get_num_threads(int64_t* out) { DD_TRY *out = at::get_num_threads(); DD_CATCH }
int dd_set_grad_enabled(uint8_t enabled, uint8_t* previous) {
  DD_TRY
  if (previous) *previous = c10::GradMode::is_enabled();
  c10::GradMode::set_enabled(enabled != 0);
  DD_CATCH
}
int dd_is_grad_enabled(uint8_t* out) { DD_TRY *out = c10::GradMode::is_enabled(); DD_CATCH }

int dd_free(dd_tensor t) {
  DD_TRY
  if (t != nullptr) {
    delete static_cast<at::Tensor*>(t);
    live_tensors.fetch_sub(1, std::memory_order_relaxed);
  }
  DD_CATCH
}
int dd_alias(dd_tensor t, dd_tensor* out) { DD_TRY *out = H(T(t)); DD_CATCH }
int dd_dim(dd_tensor t, int64_t* out) { DD_TRY *out = T(t).dim(); DD_CATCH }
int dd_shape(dd_tensor t, int64_t* dims, int64_t capacity) {
  DD_TRY
  auto s = T(t).sizes();
  if (static_cast<int64_t>(s.size()) > capacity) throw std::invalid_argument("shape buffer too small");
  std::memcpy(dims, s.data(), s.size() * sizeof(int64_t));
  DD_CATCH
}
int dd_numel(dd_tensor t, int64_t* out) { DD_TRY *out = T(t).numel(); DD_CATCH }
int dd_dtype(dd_tensor t, int32_t* out) { DD_TRY *out = from_scalar_type(T(t).scalar_type()); DD_CATCH }
int dd_device(dd_tensor t, int32_t* type, int64_t* index) {
  DD_TRY
  auto d = T(t).device();
  *type = d.is_cuda() ? DD_CUDA : DD_CPU;
  *index = d.has_index() ? d.index() : 0;
  DD_CATCH
}
int dd_requires_grad(dd_tensor t, uint8_t* out) { DD_TRY *out = T(t).requires_grad(); DD_CATCH }
int dd_set_requires_grad(dd_tensor t, uint8_t requires) { DD_TRY T(t).requires_grad_(requires != 0); DD_CATCH }
int dd_grad_of(dd_tensor t, dd_tensor* out) { DD_TRY *out = H(T(t).grad()); DD_CATCH }
int dd_set_grad(dd_tensor t, dd_tensor grad) { DD_TRY T(t).mutable_grad() = OT(grad); DD_CATCH }
int dd_has_grad_fn(dd_tensor t, uint8_t* out) { DD_TRY *out = T(t).grad_fn() != nullptr; DD_CATCH }
int dd_item_double(dd_tensor t, double* out) { DD_TRY *out = T(t).item<double>(); DD_CATCH }
int dd_item_int64(dd_tensor t, int64_t* out) { DD_TRY *out = T(t).item<int64_t>(); DD_CATCH }

int dd_free_buffer(void* p) { DD_TRY std::free(p); DD_CATCH }

}  // extern "C"
