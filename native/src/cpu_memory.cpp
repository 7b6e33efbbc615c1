// CPU tensor-memory accounting: the bytes live CPU tensors hold now and their peak, as the CUDA caching
// allocator's statistics give for a GPU (torch.cuda.memory_allocated / max_memory_allocated). libtorch's CPU
// allocator keeps no such count, and a process's resident memory cannot stand in for it: glibc and oneDNN keep
// freed memory, so two peaks in one process cannot be told apart. A counting allocator in front of c10's
// alloc_cpu/free_cpu (the calls libtorch's default CPU allocator makes) is installed when the shim loads. The count
// is process-wide: every CPU tensor allocated by libtorch after that, whoever asks for it (the PyTorch side of
// DDist's benchmarks loads this shim to measure itself the same way). Memory libraries keep outside tensors (oneDNN
// scratch, OpenBLAS buffers) is not counted, as the CUDA statistics do not count cuDNN workspaces.
// The same count can cap CPU tensor memory: an allocation past the limit fails with libtorch's out-of-memory error,
// a message the caller can act on, where the kernel's OOM killer would end the process (or another) without one.
#include "common.h"
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

// Each block starts with its size, in a header as large as c10's alignment so the data stays 64-byte aligned.
constexpr size_t kHeader = 64;
static_assert(kHeader >= sizeof(size_t), "the header holds the block's size");

std::atomic<int64_t> allocated_bytes{0};
std::atomic<int64_t> peak_bytes{0};
std::atomic<int64_t> limit_bytes{0};   // 0: none

std::string mib(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / 1048576.0);
  return text;
}

void raise_peak(int64_t now) {
  int64_t seen = peak_bytes.load(std::memory_order_relaxed);
  while (now > seen && !peak_bytes.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
  }
}

void counting_free(void* data) {
  if (data == nullptr) return;
  auto* base = static_cast<char*>(data) - kHeader;
  size_t n;
  std::memcpy(&n, base, sizeof n);
  allocated_bytes.fetch_sub(static_cast<int64_t>(n), std::memory_order_relaxed);
  c10::free_cpu(base);
}

struct CountingCpuAllocator final : c10::Allocator {
  // libtorch 2.3 made allocate non-const and added copy_data (for Allocator::clone).
#if DD_TORCH_AT_LEAST(2, 3)
  c10::DataPtr allocate(size_t n) override {
#else
  c10::DataPtr allocate(size_t n) const override {
#endif
    // Counted before it is made, so that threads allocating at once cannot pass the limit together.
    const auto size = static_cast<int64_t>(n);
    const int64_t held = allocated_bytes.fetch_add(size, std::memory_order_relaxed) + size;
    const int64_t limit = limit_bytes.load(std::memory_order_relaxed);
    if (limit > 0 && held > limit) {
      allocated_bytes.fetch_sub(size, std::memory_order_relaxed);
      // "out of memory", as CUDA's allocator says it, so callers treat both alike.
      C10_THROW_ERROR(OutOfMemoryError, "CPU out of memory: tried to allocate " + mib(size) + " with " + mib(held - size) +
                                            " held by tensors, over the limit of " + mib(limit) + " set for CPU tensors");
    }
    char* base;
    try {
      base = static_cast<char*>(c10::alloc_cpu(n + kHeader));
    } catch (...) {
      allocated_bytes.fetch_sub(size, std::memory_order_relaxed);
      throw;
    }
    std::memcpy(base, &n, sizeof n);
    raise_peak(held);
    void* data = base + kHeader;
    // Context == data, so raw_allocate/raw_deallocate work as with libtorch's own allocator.
    return {data, data, &counting_free, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &counting_free; }
#if DD_TORCH_AT_LEAST(2, 3)
  void copy_data(void* dest, const void* src, std::size_t count) const override { default_copy_data(dest, src, count); }
#endif
};

// Storages keep a pointer to the allocator that made them, so it lives as long as the process (never destroyed).
// Priority 1 puts it above the default (registered at 0); tensors made before keep their own deleters.
const bool installed = [] {
  c10::SetCPUAllocator(new CountingCpuAllocator(), /*priority=*/1);
  return true;
}();

}  // namespace

extern "C" {

int dd_cpu_memory_stats(uint8_t* counting, int64_t* allocated, int64_t* peak) {
  DD_TRY
  // Another library may have put its own allocator above ours: then the count misses what it hands out.
  *counting = dynamic_cast<CountingCpuAllocator*>(c10::GetCPUAllocator()) != nullptr ? 1 : 0;
  *allocated = allocated_bytes.load(std::memory_order_relaxed);
  *peak = std::max(peak_bytes.load(std::memory_order_relaxed), *allocated);
  DD_CATCH
}

int dd_set_cpu_memory_limit(int64_t bytes) {
  DD_TRY
  TORCH_CHECK(bytes >= 0, "CPU memory limit: expected bytes >= 0 (0 for none), got ", bytes);
  limit_bytes.store(bytes, std::memory_order_relaxed);
  DD_CATCH
}

int dd_get_cpu_memory_limit(int64_t* bytes) {
  DD_TRY
  *bytes = limit_bytes.load(std::memory_order_relaxed);
  DD_CATCH
}

int dd_cpu_reset_peak_memory(void) {
  DD_TRY
  peak_bytes.store(allocated_bytes.load(std::memory_order_relaxed), std::memory_order_relaxed);
  DD_CATCH
}

}  // extern "C"
