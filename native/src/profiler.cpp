// libtorch's operator profiler (the legacy one, CPU), so DDist's runs can be profiled per op like PyTorch's
// torch.profiler: dd_profiler_start(path) ... dd_profiler_stop() writes a Chrome trace of every op to path.
#include "common.h"
#include <torch/csrc/autograd/profiler_legacy.h>
#include <memory>

using namespace dd;

namespace {
std::unique_ptr<torch::autograd::profiler::RecordProfile> active;
}

extern "C" {

int dd_profiler_start(const char* path) {
  DD_TRY
  if (path == nullptr) throw std::invalid_argument("profiler trace path is null");
  if (active) throw std::invalid_argument("the profiler is already running");
  active = std::make_unique<torch::autograd::profiler::RecordProfile>(std::string(path));
  DD_CATCH
}

int dd_profiler_stop(void) {
  DD_TRY
  if (!active) throw std::invalid_argument("the profiler is not running");
  active.reset();  // writes the trace
  DD_CATCH
}

}  // extern "C"
