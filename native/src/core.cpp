// Library identity, errors, global state (seed, threads, grad mode) and handle metadata.
#include "common.h"
#include <ATen/Parallel.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/version.h>
#include <cstdlib>
#include <cstring>
#include <c10/util/Logging.h>
// The CUDA caching allocator's statistics (peak memory) and cache release. Three ways to reach it:
//  - libtorch >= 2.9: the device-generic c10::DeviceAllocator interface, which the CUDA caching allocator
//    implements and registers as the kCUDA allocator (no CUDA headers needed);
//  - DD_CUDA_HEADERS (an older CUDA libtorch built where the CUDA toolkit's headers are found): the
//    c10::cuda::CUDACachingAllocator functions;
//  - otherwise (Debian's CPU libtorch 1.13): not available, reported as such.
// DD_NO_DEVICE_ALLOCATOR skips the first (a fallback should a 2.x release lack that interface).
#if DD_TORCH_AT_LEAST(2, 9) && !defined(DD_NO_DEVICE_ALLOCATOR)
#include <c10/core/Allocator.h>
#include <c10/core/CachingDeviceAllocator.h>
#define DD_DEVICE_ALLOCATOR_STATS 1
#elif defined(DD_CUDA_HEADERS)
#include <c10/cuda/CUDACachingAllocator.h>
#define DD_CUDA_ALLOCATOR_STATS 1
#endif

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
#if defined(DD_DEVICE_ALLOCATOR_STATS)
// The CUDA caching allocator through the generic interface; null when this libtorch has no CUDA.
static c10::DeviceAllocator* cuda_allocator() {
  if (!torch::cuda::is_available()) return nullptr;
  return dynamic_cast<c10::DeviceAllocator*>(c10::GetAllocator(c10::DeviceType::CUDA));
}
#endif

int dd_cuda_empty_cache(void) {
  // Releasing cached blocks is an optimisation, so where the allocator cannot be reached this is a no-op.
  DD_TRY
#if defined(DD_CUDA_ALLOCATOR_STATS)
  if (torch::cuda::is_available()) c10::cuda::CUDACachingAllocator::emptyCache();
#elif defined(DD_DEVICE_ALLOCATOR_STATS)
  if (auto* a = cuda_allocator()) a->emptyCache();
#endif
  DD_CATCH
}
int dd_cuda_memory_stats(int64_t index, uint8_t* available, int64_t* allocated, int64_t* peak, int64_t* reserved) {
  DD_TRY
  *available = 0;
  *allocated = *peak = *reserved = 0;
  // Stat arrays are indexed by StatType; AGGREGATE (all pools) is 0 in every version.
#if defined(DD_CUDA_ALLOCATOR_STATS)
  if (!torch::cuda::is_available()) return 0;
  auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(index));
#elif defined(DD_DEVICE_ALLOCATOR_STATS)
  auto* a = cuda_allocator();
  if (a == nullptr) return 0;
  auto stats = a->getDeviceStats(static_cast<c10::DeviceIndex>(index));
#endif
#if defined(DD_CUDA_ALLOCATOR_STATS) || defined(DD_DEVICE_ALLOCATOR_STATS)
  *available = 1;
  *allocated = stats.allocated_bytes[0].current;
  *peak = stats.allocated_bytes[0].peak;
  *reserved = stats.reserved_bytes[0].current;
#else
  (void)index;
#endif
  DD_CATCH
}
int dd_cuda_reset_peak_memory(int64_t index) {
  DD_TRY
#if defined(DD_CUDA_ALLOCATOR_STATS)
  if (torch::cuda::is_available()) c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(index));
#elif defined(DD_DEVICE_ALLOCATOR_STATS)
  if (auto* a = cuda_allocator()) a->resetPeakStats(static_cast<c10::DeviceIndex>(index));
#else
  (void)index;
#endif
  DD_CATCH
}
int dd_set_allow_tf32(uint8_t convolutions, uint8_t matmul) {
  // torch.backends.cudnn.allow_tf32 (on by default) and torch.backends.cuda.matmul.allow_tf32 (off by default).
  DD_TRY
  at::globalContext().setAllowTF32CuDNN(convolutions != 0);
  at::globalContext().setAllowTF32CuBLAS(matmul != 0);
  DD_CATCH
}
int dd_get_allow_tf32(uint8_t* convolutions, uint8_t* matmul) {
  DD_TRY
  *convolutions = at::globalContext().allowTF32CuDNN();
  *matmul = at::globalContext().allowTF32CuBLAS();
  DD_CATCH
}
int dd_set_deterministic(uint8_t on) {
  DD_TRY
  // cuBLAS picks reduction orders per stream workspace; a fixed workspace makes them repeatable. It reads the
  // variable once, when the first handle is created, so this must come before the first CUDA matrix product.
  if (on != 0) setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
  at::globalContext().setDeterministicCuDNN(on != 0);
  at::globalContext().setBenchmarkCuDNN(false);
  at::globalContext().setDeterministicAlgorithms(on != 0, /*warn_only=*/true);
  DD_CATCH
}
int dd_get_deterministic(uint8_t* out) {
  DD_TRY
  *out = at::globalContext().deterministicAlgorithms() && at::globalContext().deterministicCuDNN();
  DD_CATCH
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
// at::Context::defaultGenerator reaches any device's default generator without the device's headers; a libtorch
// without CUDA throws, which the caller sees as an error message.
static at::Generator default_generator(int32_t dev, int64_t index) {
  return at::globalContext().defaultGenerator(to_device(dev, index));
}
int dd_get_device_rng_state(int32_t dev, int64_t index, dd_tensor* out) {
  DD_TRY
  auto gen = default_generator(dev, index);
  std::lock_guard<std::mutex> lock(gen.mutex());
  *out = H(gen.get_state());
  DD_CATCH
}
int dd_set_device_rng_state(int32_t dev, int64_t index, dd_tensor state) {
  DD_TRY
  auto gen = default_generator(dev, index);
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
int dd_set_requires_grad(dd_tensor t, uint8_t on) { DD_TRY T(t).requires_grad_(on != 0); DD_CATCH }
int dd_grad_of(dd_tensor t, dd_tensor* out) { DD_TRY *out = H(T(t).grad()); DD_CATCH }
int dd_set_grad(dd_tensor t, dd_tensor grad) { DD_TRY T(t).mutable_grad() = OT(grad); DD_CATCH }
int dd_has_grad_fn(dd_tensor t, uint8_t* out) { DD_TRY *out = T(t).grad_fn() != nullptr; DD_CATCH }
int dd_item_double(dd_tensor t, double* out) { DD_TRY *out = T(t).item<double>(); DD_CATCH }
int dd_item_int64(dd_tensor t, int64_t* out) { DD_TRY *out = T(t).item<int64_t>(); DD_CATCH }

int dd_free_buffer(void* p) { DD_TRY std::free(p); DD_CATCH }

}  // extern "C"
