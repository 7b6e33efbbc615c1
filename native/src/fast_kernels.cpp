// CPU kernels of the fast group norm and 2×2 average pooling (see fast_kernels.h). Every kernel works on one
// (sample, group) or one (sample, channel) plane at a time, in parallel over planes, with the per-element work
// written as a few linear passes the compiler vectorises: this file is built with reassociation allowed
// (CMakeLists.txt) and every per-plane kernel is compiled for AVX-512, AVX2 and baseline x86-64, one picked at run
// time (kernel_isa: the widest the CPU has, capped as oneDNN's DNNL_MAX_CPU_ISA caps oneDNN, so that one variable
// approximates an older machine for every kernel; GCC's target_clones would pick by the CPU alone).
// Sums are accumulated in double for float inputs as well.
#include "fast_kernels.h"
#include <ATen/Parallel.h>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define DD_MULTI_ISA 1
#define DD_TARGET_avx512 __attribute__((target("avx512f")))
#define DD_TARGET_avx2 __attribute__((target("avx2")))
#else
#define DD_MULTI_ISA 0
#define DD_TARGET_avx512
#define DD_TARGET_avx2
#endif
#define DD_TARGET_baseline
#define DD_INLINE inline __attribute__((always_inline))

namespace dd::fast {
namespace {

// ---- group norm: one (sample, group) block = D channels × HW contiguous values ----

template <typename T>
DD_INLINE void gn_forward_block(const T* x, T* y, const T* gamma, const T* beta, int64_t D, int64_t HW, double eps,
                                bool relu, double* mean_out, double* rstd_out) {
  const int64_t M = D * HW;
  double sum = 0;
  for (int64_t i = 0; i < M; ++i) sum += x[i];
  const double mean = sum / M;
  double sq = 0;
  for (int64_t i = 0; i < M; ++i) { double d = x[i] - mean; sq += d * d; }
  const double rstd = 1.0 / std::sqrt(sq / M + eps);
  for (int64_t d = 0; d < D; ++d) {
    const T scale = static_cast<T>(rstd * gamma[d]);
    const T shift = static_cast<T>(beta[d] - mean * rstd * gamma[d]);
    const T* xc = x + d * HW;
    T* yc = y + d * HW;
    if (relu)
      for (int64_t i = 0; i < HW; ++i) yc[i] = std::max(xc[i] * scale + shift, T(0));
    else
      for (int64_t i = 0; i < HW; ++i) yc[i] = xc[i] * scale + shift;
  }
  *mean_out = mean;
  *rstd_out = rstd;
}

// Per channel of the block: Σ gy and Σ gy·x̂ (into sum_gy, sum_gy_xhat); then gx = rstd·(gy·γ − A − x̂·B)
// with A = mean(gy·γ), B = mean(gy·γ·x̂) over the block.
template <typename T>
DD_INLINE void gn_backward_block(const T* gy_in, const T* x, const T* relu_y, T* gx, const T* gamma, int64_t D,
                                 int64_t HW, double mean, double rstd, double* sum_gy, double* sum_gy_xhat, T* masked) {
  // After a fused ReLU the incoming gradient is gy·[y > 0]; it is written once to `masked` and read from there.
  const T* gy = gy_in;
  if (relu_y != nullptr) {
    for (int64_t i = 0; i < D * HW; ++i) masked[i] = relu_y[i] > T(0) ? gy_in[i] : T(0);
    gy = masked;
  }
  const int64_t M = D * HW;
  double A = 0, B = 0;
  for (int64_t d = 0; d < D; ++d) {
    const T* g = gy + d * HW;
    const T* xc = x + d * HW;
    double sg = 0, sgx = 0;
    for (int64_t i = 0; i < HW; ++i) { sg += g[i]; sgx += static_cast<double>(g[i]) * xc[i]; }
    const double sgxh = rstd * (sgx - mean * sg);
    sum_gy[d] = sg;
    sum_gy_xhat[d] = sgxh;
    A += gamma[d] * sg;
    B += gamma[d] * sgxh;
  }
  A /= M;
  B /= M;
  if (gx == nullptr) return;
  // gx = k_gy·gy + k_x·x + k_0, x̂ = (x − μ)·rstd.
  const double k_x = -rstd * rstd * B;
  const double k_0 = -rstd * A + rstd * rstd * B * mean;
  for (int64_t d = 0; d < D; ++d) {
    const T kg = static_cast<T>(rstd * gamma[d]), kx = static_cast<T>(k_x), k0 = static_cast<T>(k_0);
    const T* g = gy + d * HW;
    const T* xc = x + d * HW;
    T* o = gx + d * HW;
    for (int64_t i = 0; i < HW; ++i) o[i] = kg * g[i] + kx * xc[i] + k0;
  }
}

// The second derivative. With a = gy·γ, u = ggx, e = ggγ, f = ggβ (per channel), over one block of M values:
//   A = mean(a), B = mean(a·x̂), U = mean(u), V = mean(u·x̂), w = rstd·(u − U − x̂·V)
//   ∂/∂gy = γ·w + x̂·e + f
//   ∂/∂x  = rstd·(p − mean(p) − x̂·mean(p·x̂)) − rstd²·x̂·(mean(a·u) − A·U − B·V),  p = gy·e − rstd·(a·V + u·B)
//   ∂/∂γ  = Σ gy·w (summed over samples by the caller)
// Derived by differentiating S = Σ u·gx + Σ e·∂L/∂γ + Σ f·∂L/∂β through x̂ and rstd, with
// ∂x̂ᵢ/∂xⱼ = rstd·(δᵢⱼ − 1/M − x̂ᵢx̂ⱼ/M) and ∂rstd/∂xⱼ = −rstd²·x̂ⱼ/M.
template <typename T>
DD_INLINE void gn_double_backward_block(const T* gy_in, const T* x, const T* u, const T* relu_y, const T* gamma,
                                        const T* e, const T* f, T* g_gy, T* g_x, int64_t D, int64_t HW, double mean,
                                        double r, double* g_gamma, double* sum_gy, double* sum_gy_xhat,
                                        double* sum_u_gy, T* masked) {
  // A fused ReLU makes the first derivative a function of gy·m, m = [y > 0] (piecewise constant in x): the
  // formulas below run on gy·m, and the gradient with respect to gy is multiplied by m.
  const T* gy = gy_in;
  if (relu_y != nullptr) {
    for (int64_t i = 0; i < D * HW; ++i) masked[i] = relu_y[i] > T(0) ? gy_in[i] : T(0);
    gy = masked;
  }
  const int64_t M = D * HW;
  double A = 0, B = 0, U = 0, V = 0, AUm = 0, P1 = 0, P2 = 0;
  for (int64_t d = 0; d < D; ++d) {
    const T* g = gy + d * HW;
    const T* xc = x + d * HW;
    double sg = 0, sgx = 0, su = 0, sux = 0, sgu = 0;
    if (u != nullptr) {
      const T* uc = u + d * HW;
      for (int64_t i = 0; i < HW; ++i) {
        const double gi = g[i], xi = xc[i], ui = uc[i];
        sg += gi; sgx += gi * xi; su += ui; sux += ui * xi; sgu += gi * ui;
      }
    } else {
      for (int64_t i = 0; i < HW; ++i) { const double gi = g[i]; sg += gi; sgx += gi * xc[i]; }
    }
    const double sgxh = r * (sgx - mean * sg), suxh = r * (sux - mean * su);
    const double ed = e != nullptr ? static_cast<double>(e[d]) : 0.0;
    sum_gy[d] = sg; sum_gy_xhat[d] = sgxh; sum_u_gy[d] = sgu;
    A += gamma[d] * sg; B += gamma[d] * sgxh; U += su; V += suxh; AUm += gamma[d] * sgu;
    P1 += ed * sg; P2 += ed * sgxh;
  }
  A /= M; B /= M; U /= M; V /= M; AUm /= M; P1 /= M; P2 /= M;
  const double mean_p = P1 - r * (A * V + U * B);
  const double mean_px = P2 - 2 * r * B * V;
  const double Q = AUm - A * U - B * V;
  for (int64_t d = 0; d < D; ++d) {
    const double gam = gamma[d];
    const double ed = e != nullptr ? static_cast<double>(e[d]) : 0.0;
    const double fd = f != nullptr ? static_cast<double>(f[d]) : 0.0;
    g_gamma[d] = r * (sum_u_gy[d] - U * sum_gy[d] - V * sum_gy_xhat[d]);
    // In x̂: g_gy = γr·u + (e − γrV)·x̂ + (f − γrU); g_x = r(e − rγV)·gy − r²B·u − (r·mean_px + r²Q)·x̂ − r·mean_p.
    const double cxh1 = ed - gam * r * V, c01 = fd - gam * r * U;
    const double cxh2 = -(r * mean_px + r * r * Q), c02 = -r * mean_p;
    // x̂ = r·x − r·μ folded into the x coefficient and the constant.
    const T a_u1 = static_cast<T>(gam * r), a_x1 = static_cast<T>(cxh1 * r), a_01 = static_cast<T>(c01 - cxh1 * r * mean);
    const T b_g2 = static_cast<T>(r * (ed - r * gam * V)), b_u2 = static_cast<T>(-r * r * B);
    const T b_x2 = static_cast<T>(cxh2 * r), b_02 = static_cast<T>(c02 - cxh2 * r * mean);
    const T* g = gy + d * HW;
    const T* xc = x + d * HW;
    T* o1 = g_gy + d * HW;
    T* o2 = g_x + d * HW;
    if (u != nullptr) {
      const T* uc = u + d * HW;
      for (int64_t i = 0; i < HW; ++i) {
        o1[i] = a_u1 * uc[i] + a_x1 * xc[i] + a_01;
        o2[i] = b_g2 * g[i] + b_u2 * uc[i] + b_x2 * xc[i] + b_02;
      }
    } else {
      for (int64_t i = 0; i < HW; ++i) {
        o1[i] = a_x1 * xc[i] + a_01;
        o2[i] = b_g2 * g[i] + b_x2 * xc[i] + b_02;
      }
    }
    if (relu_y != nullptr) {
      const T* yc = relu_y + d * HW;
      for (int64_t i = 0; i < HW; ++i) o1[i] = yc[i] > T(0) ? o1[i] : T(0);
    }
  }
}

// ---- 2×2 average pooling over one (sample, channel) plane ----

template <typename T>
DD_INLINE void pool_forward_plane(const T* x, T* y, int64_t H, int64_t W) {
  const int64_t OH = H / 2, OW = W / 2;
  for (int64_t oh = 0; oh < OH; ++oh) {
    const T* r0 = x + (2 * oh) * W;
    const T* r1 = r0 + W;
    T* o = y + oh * OW;
    for (int64_t ow = 0; ow < OW; ++ow) o[ow] = T(0.25) * ((r0[2 * ow] + r0[2 * ow + 1]) + (r1[2 * ow] + r1[2 * ow + 1]));
  }
}

template <typename T>
DD_INLINE void pool_backward_plane(const T* gy, T* gx, int64_t H, int64_t W) {
  const int64_t OH = H / 2, OW = W / 2;
  for (int64_t oh = 0; oh < OH; ++oh) {
    T* r0 = gx + (2 * oh) * W;
    T* r1 = r0 + W;
    const T* g = gy + oh * OW;
    for (int64_t ow = 0; ow < OW; ++ow) {
      const T v = T(0.25) * g[ow];
      r0[2 * ow] = v; r0[2 * ow + 1] = v; r1[2 * ow] = v; r1[2 * ow + 1] = v;
    }
    if (W % 2) { r0[W - 1] = 0; r1[W - 1] = 0; }
  }
  if (H % 2) for (int64_t w = 0; w < W; ++w) gx[(H - 1) * W + w] = 0;
}

// Non-template entry points, one per dtype and instruction set: the same source compiled three times, the
// templates above inlined into each (an ISA-less inline function may be inlined into a function of any target).
#define DD_ENTRY_POINTS(T, ISA)                                                                                      \
  DD_TARGET_##ISA void gn_forward_block_##T##_##ISA(const T* x, T* y, const T* g, const T* b, int64_t D, int64_t HW,  \
                                                    double eps, bool relu, double* m, double* r) {                  \
    gn_forward_block<T>(x, y, g, b, D, HW, eps, relu, m, r);                                                         \
  }                                                                                                                  \
  DD_TARGET_##ISA void gn_backward_block_##T##_##ISA(const T* gy, const T* x, const T* ry, T* gx, const T* g,         \
                                                     int64_t D, int64_t HW, double m, double r, double* s1,          \
                                                     double* s2, T* tmp) {                                           \
    gn_backward_block<T>(gy, x, ry, gx, g, D, HW, m, r, s1, s2, tmp);                                                \
  }                                                                                                                  \
  DD_TARGET_##ISA void gn_double_backward_block_##T##_##ISA(                                                         \
      const T* gy, const T* x, const T* u, const T* ry, const T* g, const T* e, const T* f, T* o1, T* o2, int64_t D, \
      int64_t HW, double m, double r, double* gg, double* s1, double* s2, double* s3, T* tmp) {                      \
    gn_double_backward_block<T>(gy, x, u, ry, g, e, f, o1, o2, D, HW, m, r, gg, s1, s2, s3, tmp);                     \
  }                                                                                                                  \
  DD_TARGET_##ISA void pool_forward_plane_##T##_##ISA(const T* x, T* y, int64_t H, int64_t W) {                       \
    pool_forward_plane<T>(x, y, H, W);                                                                               \
  }                                                                                                                  \
  DD_TARGET_##ISA void pool_backward_plane_##T##_##ISA(const T* g, T* x, int64_t H, int64_t W) {                      \
    pool_backward_plane<T>(g, x, H, W);                                                                              \
  }
#define DD_ALL_ISAS(T) DD_ENTRY_POINTS(T, baseline) DD_ENTRY_POINTS(T, avx2) DD_ENTRY_POINTS(T, avx512)
DD_ALL_ISAS(float)
DD_ALL_ISAS(double)
#undef DD_ALL_ISAS
#undef DD_ENTRY_POINTS

// One instruction set's entry points for one dtype.
template <typename T>
struct Kernels {
  decltype(&gn_forward_block<T>) fwd;
  decltype(&gn_backward_block<T>) bwd;
  decltype(&gn_double_backward_block<T>) dbl;
  decltype(&pool_forward_plane<T>) pf;
  decltype(&pool_backward_plane<T>) pb;
};
#define DD_TABLE(T, ISA)                                                                                    \
  Kernels<T> {                                                                                              \
    gn_forward_block_##T##_##ISA, gn_backward_block_##T##_##ISA, gn_double_backward_block_##T##_##ISA,      \
        pool_forward_plane_##T##_##ISA, pool_backward_plane_##T##_##ISA                                      \
  }
template <typename T> const Kernels<T>& kernels();
template <> const Kernels<float>& kernels<float>() {
  static const Kernels<float> table[] = {DD_TABLE(float, baseline), DD_TABLE(float, avx2), DD_TABLE(float, avx512)};
  return table[static_cast<int>(kernel_isa())];
}
template <> const Kernels<double>& kernels<double>() {
  static const Kernels<double> table[] = {DD_TABLE(double, baseline), DD_TABLE(double, avx2), DD_TABLE(double, avx512)};
  return table[static_cast<int>(kernel_isa())];
}
#undef DD_TABLE

// The widest instruction set this CPU runs the kernels with.
Isa cpu_isa() {
#if DD_MULTI_ISA
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return Isa::avx512;
  if (__builtin_cpu_supports("avx2")) return Isa::avx2;
#endif
  return Isa::baseline;
}

// DDIST_MAX_CPU_ISA, else oneDNN's DNNL_MAX_CPU_ISA (names as oneDNN spells them: AVX512_CORE…, AVX2…, AVX, SSE41,
// ALL; any case). Unset or unknown: no cap.
Isa env_cap() {
  const char* v = std::getenv("DDIST_MAX_CPU_ISA");
  if (v == nullptr || *v == 0) v = std::getenv("DNNL_MAX_CPU_ISA");
  if (v == nullptr) return Isa::avx512;
  std::string name(v);
  for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (name.rfind("AVX512", 0) == 0 || name.rfind("AVX10", 0) == 0 || name == "ALL") return Isa::avx512;
  if (name.rfind("AVX2", 0) == 0) return Isa::avx2;
  if (name == "AVX" || name.rfind("SSE", 0) == 0) return Isa::baseline;
  return Isa::avx512;
}

std::atomic<int>& chosen_isa() {
  static std::atomic<int> isa{static_cast<int>(std::min(cpu_isa(), env_cap()))};
  return isa;
}

template <typename T>
const T* ptr_or_null(const at::Tensor& t) { return t.defined() ? t.data_ptr<T>() : nullptr; }

// Plane-parallel grain: at least ~32k values per task so small problems stay on one thread.
int64_t grain_for(int64_t plane) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, plane)); }

}  // namespace

Isa kernel_isa() { return static_cast<Isa>(chosen_isa().load(std::memory_order_relaxed)); }

Isa set_kernel_isa(Isa wanted) {
  const Isa isa = std::min(wanted, cpu_isa());
  chosen_isa().store(static_cast<int>(isa), std::memory_order_relaxed);
  return isa;
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> group_norm_forward(const at::Tensor& x, const at::Tensor& gamma,
                                                                  const at::Tensor& beta, int64_t G, double eps,
                                                                  bool relu) {
  const int64_t N = x.size(0), C = x.size(1), HW = x.numel() / std::max<int64_t>(1, N * C), D = C / G;
  auto y = at::empty_like(x, at::MemoryFormat::Contiguous);
  auto mean = at::empty({N, G}, x.options().dtype(at::kDouble));
  auto rstd = at::empty({N, G}, x.options().dtype(at::kDouble));
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "dd_group_norm_forward", [&] {
    const scalar_t *xp = x.data_ptr<scalar_t>(), *gp = gamma.data_ptr<scalar_t>(), *bp = beta.data_ptr<scalar_t>();
    scalar_t* yp = y.data_ptr<scalar_t>();
    double *mp = mean.data_ptr<double>(), *rp = rstd.data_ptr<double>();
    const auto& k = kernels<scalar_t>();
    at::parallel_for(0, N * G, grain_for(D * HW), [&](int64_t begin, int64_t end) {
      for (int64_t ng = begin; ng < end; ++ng) {
        const int64_t g = ng % G, off = ng * D * HW;
        k.fwd(xp + off, yp + off, gp + g * D, bp + g * D, D, HW, eps, relu, mp + ng, rp + ng);
      }
    });
  });
  return {y, mean, rstd};
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> group_norm_backward(const at::Tensor& gy, const at::Tensor& x,
                                                                   const at::Tensor& mean, const at::Tensor& rstd,
                                                                   const at::Tensor& gamma, int64_t G,
                                                                   const at::Tensor& relu_y) {
  const int64_t N = x.size(0), C = x.size(1), HW = x.numel() / std::max<int64_t>(1, N * C), D = C / G;
  auto gx = at::empty_like(x, at::MemoryFormat::Contiguous);

  auto sum_gy = at::empty({N, C}, x.options().dtype(at::kDouble));
  auto sum_gy_xhat = at::empty({N, C}, x.options().dtype(at::kDouble));
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "dd_group_norm_backward", [&] {
    const scalar_t *gyp = gy.data_ptr<scalar_t>(), *xp = x.data_ptr<scalar_t>(), *gp = gamma.data_ptr<scalar_t>();
    scalar_t* gxp = gx.data_ptr<scalar_t>();
    const double *mp = mean.data_ptr<double>(), *rp = rstd.data_ptr<double>();
    double *s1 = sum_gy.data_ptr<double>(), *s2 = sum_gy_xhat.data_ptr<double>();
    const scalar_t* ryp = ptr_or_null<scalar_t>(relu_y);
    const auto& k = kernels<scalar_t>();
    at::parallel_for(0, N * G, grain_for(D * HW), [&](int64_t begin, int64_t end) {
      std::vector<scalar_t> masked(ryp ? D * HW : 0);  // one block of gy·[y > 0], reused while it is in cache
      scalar_t* tmp = ryp ? masked.data() : nullptr;
      for (int64_t ng = begin; ng < end; ++ng) {
        const int64_t g = ng % G, off = ng * D * HW, coff = ng * D;
        k.bwd(gyp + off, xp + off, ryp ? ryp + off : nullptr, gxp + off, gp + g * D, D, HW, mp[ng], rp[ng],
                         s1 + coff, s2 + coff, tmp);
      }
    });
  });
  auto ggamma = sum_gy_xhat.sum(0).to(x.scalar_type());
  auto gbeta = sum_gy.sum(0).to(x.scalar_type());
  return {gx, ggamma, gbeta};
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> group_norm_double_backward(
    const at::Tensor& ggx, const at::Tensor& gggamma, const at::Tensor& ggbeta, const at::Tensor& gy,
    const at::Tensor& x, const at::Tensor& mean, const at::Tensor& rstd, const at::Tensor& gamma, int64_t G,
    const at::Tensor& relu_y) {
  const int64_t N = x.size(0), C = x.size(1), HW = x.numel() / std::max<int64_t>(1, N * C), D = C / G;
  auto g_gy = at::empty_like(x, at::MemoryFormat::Contiguous);

  auto g_x = at::empty_like(x, at::MemoryFormat::Contiguous);
  auto g_gamma = at::empty({N, C}, x.options().dtype(at::kDouble));
  auto scratch = at::empty({N, 3, C}, x.options().dtype(at::kDouble));
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "dd_group_norm_double_backward", [&] {
    const scalar_t *gyp = gy.data_ptr<scalar_t>(), *xp = x.data_ptr<scalar_t>(), *gp = gamma.data_ptr<scalar_t>();
    const scalar_t *up = ptr_or_null<scalar_t>(ggx), *ep = ptr_or_null<scalar_t>(gggamma),
                   *fp = ptr_or_null<scalar_t>(ggbeta);
    scalar_t *o1 = g_gy.data_ptr<scalar_t>(), *o2 = g_x.data_ptr<scalar_t>();
    const double *mp = mean.data_ptr<double>(), *rp = rstd.data_ptr<double>();
    double *ggp = g_gamma.data_ptr<double>(), *sp = scratch.data_ptr<double>();
    const scalar_t* ryp = ptr_or_null<scalar_t>(relu_y);
    const auto& k = kernels<scalar_t>();
    at::parallel_for(0, N * G, grain_for(D * HW), [&](int64_t begin, int64_t end) {
      std::vector<scalar_t> masked(ryp ? D * HW : 0);  // one block of gy·[y > 0], reused while it is in cache
      scalar_t* tmp = ryp ? masked.data() : nullptr;
      for (int64_t ng = begin; ng < end; ++ng) {
        const int64_t n = ng / G, g = ng % G, off = ng * D * HW, coff = ng * D;
        double* s = sp + n * 3 * C + g * D;
        k.dbl(gyp + off, xp + off, up ? up + off : nullptr, ryp ? ryp + off : nullptr, gp + g * D,
                         ep ? ep + g * D : nullptr, fp ? fp + g * D : nullptr, o1 + off, o2 + off, D, HW, mp[ng],
                         rp[ng], ggp + coff, s, s + C, s + 2 * C, tmp);
      }
    });
  });
  return {g_gy, g_x, g_gamma.sum(0).to(x.scalar_type())};
}

at::Tensor avg_pool2x2_forward(const at::Tensor& x) {
  const int64_t H = x.size(-2), W = x.size(-1), planes = x.numel() / std::max<int64_t>(1, H * W);
  auto sizes = x.sizes().vec();
  sizes[sizes.size() - 2] = H / 2;
  sizes[sizes.size() - 1] = W / 2;
  auto y = at::empty(sizes, x.options());
  const int64_t out_plane = (H / 2) * (W / 2);
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "dd_avg_pool2x2_forward", [&] {
    const scalar_t* xp = x.data_ptr<scalar_t>();
    scalar_t* yp = y.data_ptr<scalar_t>();
    const auto& k = kernels<scalar_t>();
    at::parallel_for(0, planes, grain_for(H * W), [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) k.pf(xp + p * H * W, yp + p * out_plane, H, W);
    });
  });
  return y;
}

at::Tensor avg_pool2x2_backward(const at::Tensor& gy, int64_t H, int64_t W) {
  const int64_t out_plane = gy.size(-2) * gy.size(-1), planes = gy.numel() / std::max<int64_t>(1, out_plane);
  auto sizes = gy.sizes().vec();
  sizes[sizes.size() - 2] = H;
  sizes[sizes.size() - 1] = W;
  auto gx = at::empty(sizes, gy.options());
  AT_DISPATCH_FLOATING_TYPES(gy.scalar_type(), "dd_avg_pool2x2_backward", [&] {
    const scalar_t* gp = gy.data_ptr<scalar_t>();
    scalar_t* xp = gx.data_ptr<scalar_t>();
    const auto& k = kernels<scalar_t>();
    at::parallel_for(0, planes, grain_for(H * W), [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) k.pb(gp + p * out_plane, xp + p * H * W, H, W);
    });
  });
  return gx;
}

}  // namespace dd::fast
