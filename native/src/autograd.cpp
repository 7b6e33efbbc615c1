// Autograd: backward and torch::autograd::grad with higher-order support.
#include "common.h"
#include <torch/csrc/autograd/autograd.h>
#include <vector>

using namespace dd;

extern "C" {

int dd_backward(dd_tensor t, dd_tensor grad, uint8_t retain, uint8_t create) {
  DD_TRY
  T(t).backward(OT(grad), retain ? optional<bool>(true) : nullopt, create != 0);
  DD_CATCH
}

int dd_grad(const dd_tensor* outputs, int64_t n_out, const dd_tensor* grad_outputs, const dd_tensor* inputs, int64_t n_in,
            uint8_t retain, uint8_t create, uint8_t allow_unused, dd_tensor* results) {
  DD_TRY
  std::vector<at::Tensor> outs, gouts, ins;
  for (int64_t i = 0; i < n_out; ++i) {
    outs.push_back(T(outputs[i]));
    gouts.push_back(grad_outputs ? OT(grad_outputs[i]) : at::Tensor());
  }
  for (int64_t i = 0; i < n_in; ++i) ins.push_back(T(inputs[i]));
  optional<bool> keep = retain ? optional<bool>(true) : optional<bool>(create != 0);
  auto gs = torch::autograd::grad(outs, ins, gouts, keep, create != 0, allow_unused != 0);
  for (int64_t i = 0; i < n_in; ++i) results[i] = H(gs[static_cast<size_t>(i)]);
  DD_CATCH
}

}  // extern "C"
