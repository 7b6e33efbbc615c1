// Elementwise maths, comparisons, activations and the in-place updates optimisers use.
#include "common.h"

using namespace dd;

static at::Tensor unary(int32_t op, const at::Tensor& a) {
  switch (op) {
    case DD_U_NEG: return a.neg();
    case DD_U_ABS: return a.abs();
    case DD_U_EXP: return a.exp();
    case DD_U_LOG: return a.log();
    case DD_U_SQRT: return a.sqrt();
    case DD_U_RSQRT: return a.rsqrt();
    case DD_U_SIN: return a.sin();
    case DD_U_COS: return a.cos();
    case DD_U_TANH: return a.tanh();
    case DD_U_SIGMOID: return a.sigmoid();
    case DD_U_RELU: return a.relu();
    case DD_U_SQUARE: return a.square();
    case DD_U_SIGN: return a.sign();
    case DD_U_FLOOR: return a.floor();
    case DD_U_CEIL: return a.ceil();
    case DD_U_ROUND: return a.round();
    case DD_U_RECIPROCAL: return a.reciprocal();
    case DD_U_LOG1P: return a.log1p();
    case DD_U_ISNAN: return a.isnan();
    case DD_U_ISINF: return a.isinf();
    case DD_U_LOGICAL_NOT: return a.logical_not();
    case DD_U_ISFINITE: return a.isfinite();
  }
  throw std::invalid_argument("unknown unary op " + std::to_string(op));
}

template <typename B>
static at::Tensor binary(int32_t op, const at::Tensor& a, const B& b) {
  switch (op) {
    case DD_B_ADD: return at::add(a, b);
    case DD_B_SUB: return at::sub(a, b);
    case DD_B_MUL: return at::mul(a, b);
    case DD_B_DIV: return at::div(a, b);
    case DD_B_POW: return at::pow(a, b);
    case DD_B_EQ: return at::eq(a, b);
    case DD_B_NE: return at::ne(a, b);
    case DD_B_LT: return at::lt(a, b);
    case DD_B_LE: return at::le(a, b);
    case DD_B_GT: return at::gt(a, b);
    case DD_B_GE: return at::ge(a, b);
    case DD_B_REMAINDER: return at::remainder(a, b);
  }
  throw std::invalid_argument("binary op " + std::to_string(op) + " is not available with this operand kind");
}

extern "C" {

int dd_unary(int32_t op, dd_tensor a, dd_tensor* out) { DD_TRY *out = H(unary(op, T(a))); DD_CATCH }
int dd_binary(int32_t op, dd_tensor a, dd_tensor b, dd_tensor* out) {
  DD_TRY
  const auto &x = T(a), &y = T(b);
  switch (op) {
    case DD_B_MAXIMUM: *out = H(at::maximum(x, y)); break;
    case DD_B_MINIMUM: *out = H(at::minimum(x, y)); break;
    case DD_B_LOGICAL_AND: *out = H(at::logical_and(x, y)); break;
    case DD_B_LOGICAL_OR: *out = H(at::logical_or(x, y)); break;
    case DD_B_ATAN2: *out = H(at::atan2(x, y)); break;
    default: *out = H(binary(op, x, y));
  }
  DD_CATCH
}
int dd_binary_scalar(int32_t op, dd_tensor a, double b, dd_tensor* out) {
  DD_TRY *out = H(binary(op, T(a), at::Scalar(b))); DD_CATCH
}
int dd_rsub_scalar(dd_tensor a, double b, dd_tensor* out) { DD_TRY *out = H(at::rsub(T(a), b)); DD_CATCH }
int dd_add_scaled(dd_tensor a, dd_tensor b, double alpha, dd_tensor* out) {
  DD_TRY *out = H(at::add(T(a), T(b), alpha)); DD_CATCH
}
int dd_clamp(dd_tensor a, uint8_t has_min, double mn, uint8_t has_max, double mx, dd_tensor* out) {
  DD_TRY
  optional<at::Scalar> lo = has_min ? optional<at::Scalar>(mn) : nullopt;
  optional<at::Scalar> hi = has_max ? optional<at::Scalar>(mx) : nullopt;
  *out = H(at::clamp(T(a), lo, hi));
  DD_CATCH
}
int dd_where(dd_tensor c, dd_tensor a, dd_tensor b, dd_tensor* out) { DD_TRY *out = H(at::where(T(c), T(a), T(b))); DD_CATCH }
int dd_leaky_relu(dd_tensor a, double slope, dd_tensor* out) { DD_TRY *out = H(at::leaky_relu(T(a), slope)); DD_CATCH }
int dd_softmax(dd_tensor a, int64_t dim, dd_tensor* out) { DD_TRY *out = H(at::softmax(T(a), dim)); DD_CATCH }
int dd_log_softmax(dd_tensor a, int64_t dim, dd_tensor* out) { DD_TRY *out = H(at::log_softmax(T(a), dim)); DD_CATCH }
int dd_dropout(dd_tensor a, double p, uint8_t train, dd_tensor* out) { DD_TRY *out = H(at::dropout(T(a), p, train != 0)); DD_CATCH }
int dd_masked_fill(dd_tensor a, dd_tensor m, double v, dd_tensor* out) { DD_TRY *out = H(at::masked_fill(T(a), T(m), v)); DD_CATCH }
int dd_masked_select(dd_tensor a, dd_tensor m, dd_tensor* out) { DD_TRY *out = H(at::masked_select(T(a), T(m))); DD_CATCH }

int dd_add_(dd_tensor a, dd_tensor b, double alpha) { DD_TRY T(a).add_(T(b), alpha); DD_CATCH }
int dd_mul_scalar_(dd_tensor a, double s) { DD_TRY T(a).mul_(s); DD_CATCH }
int dd_copy_(dd_tensor dst, dd_tensor src) { DD_TRY T(dst).copy_(T(src)); DD_CATCH }
int dd_fill_(dd_tensor a, double v) { DD_TRY T(a).fill_(v); DD_CATCH }
int dd_index_copy_(dd_tensor a, int64_t dim, dd_tensor index, dd_tensor src) {
  DD_TRY T(a).index_copy_(dim, T(index), T(src)); DD_CATCH
}

}  // extern "C"
