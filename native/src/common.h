// Shared helpers of the shim: handle conversion, error capture, dtype/device mapping.
#pragma once
#include <torch/torch.h>
#include <torch/version.h>
#include <atomic>
#include <optional>
#include <string>
#include "ddist.h"

// libtorch version guards. The shim builds against Debian's libtorch 1.13 and against the libtorch inside a
// PyTorch 2.x installation; where the C++ API moved between them, code branches on these.
#define DD_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace dd {

// Optional arguments of ATen functions: c10::optional until libtorch 2.4, std::optional since (c10::optional
// became an alias of it, kept only for compatibility).
#if DD_TORCH_AT_LEAST(2, 4)
template <class V>
using optional = std::optional<V>;
inline constexpr std::nullopt_t nullopt = std::nullopt;
#else
template <class V>
using optional = c10::optional<V>;
inline constexpr c10::nullopt_t nullopt = c10::nullopt;
#endif

void set_error(const char* msg);
extern std::atomic<int64_t> live_tensors;

// Every export body runs inside DD_TRY ... DD_CATCH: no exception may reach the caller.
#define DD_TRY try {
#define DD_CATCH                                                              \
  return 0;                                                                   \
  }                                                                           \
  catch (const c10::Error& e) { dd::set_error(e.what_without_backtrace()); return -1; } \
  catch (const std::exception& e) { dd::set_error(e.what()); return -1; }     \
  catch (...) { dd::set_error("unknown native error"); return -1; }

inline at::Tensor& T(dd_tensor h) {
  if (h == nullptr) throw std::invalid_argument("null tensor handle");
  return *static_cast<at::Tensor*>(h);
}
// An optional tensor argument: NULL means undefined.
inline at::Tensor OT(dd_tensor h) { return h == nullptr ? at::Tensor() : *static_cast<at::Tensor*>(h); }
inline optional<at::Tensor> Opt(dd_tensor h) {
  if (h == nullptr) return nullopt;
  return *static_cast<at::Tensor*>(h);
}
// A fresh handle; undefined tensors become NULL.
inline dd_tensor H(at::Tensor t) {
  if (!t.defined()) return nullptr;
  live_tensors.fetch_add(1, std::memory_order_relaxed);
  return new at::Tensor(std::move(t));
}
inline at::IntArrayRef Dims(const int64_t* p, int64_t n) { return at::IntArrayRef(p, static_cast<size_t>(n)); }

at::ScalarType to_scalar_type(int32_t dtype);
int32_t from_scalar_type(at::ScalarType st);
at::Device to_device(int32_t dev, int64_t index);
at::TensorOptions options(int32_t dtype, int32_t dev, int64_t index);

}  // namespace dd
