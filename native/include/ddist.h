/*
 * ddist.h — the one C ABI of DDist's libtorch shim.
 *
 * Conventions (every export follows them, so the C# side can wrap them uniformly):
 *  - Every function returns int: 0 on success, -1 on failure. On failure the message
 *    (libtorch's own text) is kept per thread and read with dd_last_error().
 *    No C++ exception ever crosses this boundary.
 *  - A dd_tensor is one heap-allocated torch::Tensor (an alias of ref-counted storage).
 *    Every function that yields a tensor writes a *fresh* handle to its out-parameter,
 *    including in-place ops. Freeing a handle never breaks an autograd graph.
 *    An undefined tensor is NULL.
 *  - Bools are uint8_t, sizes and dims int64_t.
 */
#ifndef DDIST_H
#define DDIST_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define DD_API __declspec(dllexport)
#else
#define DD_API __attribute__((visibility("default")))
#endif

#define DD_ABI_VERSION 1

typedef void* dd_tensor;

/* dtypes */
enum { DD_FLOAT32 = 0, DD_FLOAT64 = 1, DD_INT64 = 2, DD_UINT8 = 3, DD_BOOL = 4, DD_INT32 = 5 };
/* device types */
enum { DD_CPU = 0, DD_CUDA = 1 };

/* ---- library, errors, global state ---- */
DD_API int dd_abi_version(void);
DD_API const char* dd_torch_version(void);       /* e.g. "1.13.1" */
DD_API const char* dd_last_error(void);          /* message of the last failure on this thread */
DD_API int64_t dd_live_tensors(void);            /* handles allocated and not yet freed */
DD_API int dd_cuda_is_available(uint8_t* out);
DD_API int dd_cuda_device_count(int64_t* out);
DD_API int dd_cuda_synchronize(void);
DD_API int dd_cuda_empty_cache(void);
/* CUDA caching-allocator statistics of device `index`, in bytes: allocated now, peak allocated since the last
   reset, reserved by the cache now. *available = 0 (and the numbers 0) when this build cannot read them: a CPU
   libtorch, or one before 2.9 built without the CUDA headers. */
DD_API int dd_cuda_memory_stats(int64_t index, uint8_t* available, int64_t* allocated, int64_t* peak, int64_t* reserved);
DD_API int dd_cuda_reset_peak_memory(int64_t index);
/* CPU tensor memory, in bytes: held by live CPU tensors now, and the peak of that since the last reset (or since
   the shim loaded). Counted by an allocator the shim puts in front of libtorch's CPU allocator when it loads;
   *counting = 0 when another allocator has since replaced it, so the numbers miss what that one hands out. */
DD_API int dd_cpu_memory_stats(uint8_t* counting, int64_t* allocated, int64_t* peak);
DD_API int dd_cpu_reset_peak_memory(void);
/* A cap on CPU tensor memory, in bytes (0: none, the default): an allocation that would take the count past it fails
   with libtorch's out-of-memory error ("CPU out of memory: ..."). */
DD_API int dd_set_cpu_memory_limit(int64_t bytes);
DD_API int dd_get_cpu_memory_limit(int64_t* bytes);
/* TF32 tensor-core maths for float32 convolutions (cuDNN) and matrix products (cuBLAS) on CUDA; libtorch's
   defaults are on for convolutions and off for matrix products. 0 gives full float32 precision. */
DD_API int dd_set_allow_tf32(uint8_t convolutions, uint8_t matmul);
DD_API int dd_get_allow_tf32(uint8_t* convolutions, uint8_t* matmul);
/* Deterministic algorithms (torch.use_deterministic_algorithms(on, warn_only=True) and cudnn.deterministic, with
   cudnn.benchmark off): cuDNN and CUDA ops take their deterministic kernels, ops that have none warn. Turning it on
   also sets CUBLAS_WORKSPACE_CONFIG=:4096:8 unless set, which cuBLAS reads when its first handle is made. */
DD_API int dd_set_deterministic(uint8_t on);
DD_API int dd_get_deterministic(uint8_t* out);
DD_API int dd_manual_seed(uint64_t seed);
DD_API int dd_get_rng_state(dd_tensor* out);     /* CPU generator state as uint8 tensor */
DD_API int dd_set_rng_state(dd_tensor state);
/* The default generator of a device (DD_CPU, or DD_CUDA with its index): its state as a uint8 tensor, and back.
 * Replaying random draws on a GPU (exact unrolling with augmentation) needs the CUDA generator's state. */
DD_API int dd_get_device_rng_state(int32_t dev, int64_t index, dd_tensor* out);
DD_API int dd_set_device_rng_state(int32_t dev, int64_t index, dd_tensor state);
DD_API int dd_set_num_threads(int64_t n);
DD_API int dd_get_num_threads(int64_t* out);
DD_API int dd_set_grad_enabled(uint8_t enabled, uint8_t* previous);
DD_API int dd_is_grad_enabled(uint8_t* out);

/* ---- handles and metadata ---- */
DD_API int dd_free(dd_tensor t);
DD_API int dd_alias(dd_tensor t, dd_tensor* out);
DD_API int dd_dim(dd_tensor t, int64_t* out);
DD_API int dd_shape(dd_tensor t, int64_t* dims, int64_t capacity); /* capacity >= dim */
DD_API int dd_numel(dd_tensor t, int64_t* out);
DD_API int dd_dtype(dd_tensor t, int32_t* out);
DD_API int dd_device(dd_tensor t, int32_t* type, int64_t* index);
DD_API int dd_requires_grad(dd_tensor t, uint8_t* out);
DD_API int dd_set_requires_grad(dd_tensor t, uint8_t on);
DD_API int dd_grad_of(dd_tensor t, dd_tensor* out);  /* .grad (NULL when none) */
DD_API int dd_set_grad(dd_tensor t, dd_tensor grad); /* grad NULL clears it */
DD_API int dd_has_grad_fn(dd_tensor t, uint8_t* out);
DD_API int dd_item_double(dd_tensor t, double* out);
DD_API int dd_item_int64(dd_tensor t, int64_t* out);

/* ---- creation and data transfer ---- */
DD_API int dd_empty(const int64_t* shape, int64_t ndim, int32_t dtype, int32_t dev, int64_t dev_index, dd_tensor* out);
DD_API int dd_zeros(const int64_t* shape, int64_t ndim, int32_t dtype, int32_t dev, int64_t dev_index, dd_tensor* out);
DD_API int dd_ones(const int64_t* shape, int64_t ndim, int32_t dtype, int32_t dev, int64_t dev_index, dd_tensor* out);
DD_API int dd_full(const int64_t* shape, int64_t ndim, double value, int32_t dtype, int32_t dev, int64_t dev_index, dd_tensor* out);
DD_API int dd_rand(const int64_t* shape, int64_t ndim, int32_t dtype, int32_t dev, int64_t dev_index, dd_tensor* out);
DD_API int dd_randn(const int64_t* shape, int64_t ndim, int32_t dtype, int32_t dev, int64_t dev_index, dd_tensor* out);
DD_API int dd_randint(int64_t low, int64_t high, const int64_t* shape, int64_t ndim, int32_t dtype, int32_t dev, int64_t dev_index, dd_tensor* out);
DD_API int dd_randperm(int64_t n, int32_t dtype, int32_t dev, int64_t dev_index, dd_tensor* out);
DD_API int dd_arange(double start, double end, double step, int32_t dtype, int32_t dev, int64_t dev_index, dd_tensor* out);
DD_API int dd_uniform_(dd_tensor t, double from, double to);       /* in place, returns nothing new */
/* copy nbytes from host memory into a new CPU tensor of the given shape/dtype */
DD_API int dd_from_data(const void* data, int64_t nbytes, const int64_t* shape, int64_t ndim, int32_t dtype, dd_tensor* out);
/* copy a tensor's elements (any device, any layout) into host memory; nbytes must equal numel*elemsize */
DD_API int dd_to_data(dd_tensor t, void* data, int64_t nbytes);
DD_API int dd_to(dd_tensor t, int32_t dtype, int32_t dev, int64_t dev_index, dd_tensor* out);
DD_API int dd_clone(dd_tensor t, dd_tensor* out);
DD_API int dd_detach(dd_tensor t, dd_tensor* out);
DD_API int dd_contiguous(dd_tensor t, dd_tensor* out);

/* ---- elementwise (op codes below) ---- */
enum {
  DD_U_NEG = 0, DD_U_ABS, DD_U_EXP, DD_U_LOG, DD_U_SQRT, DD_U_RSQRT, DD_U_SIN, DD_U_COS, DD_U_TANH,
  DD_U_SIGMOID, DD_U_RELU, DD_U_SQUARE, DD_U_SIGN, DD_U_FLOOR, DD_U_CEIL, DD_U_ROUND, DD_U_RECIPROCAL,
  DD_U_LOG1P, DD_U_ISNAN, DD_U_ISINF, DD_U_LOGICAL_NOT, DD_U_ISFINITE
};
enum {
  DD_B_ADD = 0, DD_B_SUB, DD_B_MUL, DD_B_DIV, DD_B_POW, DD_B_MAXIMUM, DD_B_MINIMUM,
  DD_B_EQ, DD_B_NE, DD_B_LT, DD_B_LE, DD_B_GT, DD_B_GE, DD_B_LOGICAL_AND, DD_B_LOGICAL_OR,
  DD_B_REMAINDER, DD_B_ATAN2
};
DD_API int dd_unary(int32_t op, dd_tensor a, dd_tensor* out);
DD_API int dd_binary(int32_t op, dd_tensor a, dd_tensor b, dd_tensor* out);
DD_API int dd_binary_scalar(int32_t op, dd_tensor a, double b, dd_tensor* out);
DD_API int dd_rsub_scalar(dd_tensor a, double b, dd_tensor* out);          /* b - a */
DD_API int dd_add_scaled(dd_tensor a, dd_tensor b, double alpha, dd_tensor* out); /* a + alpha*b */
DD_API int dd_clamp(dd_tensor a, uint8_t has_min, double min, uint8_t has_max, double max, dd_tensor* out);
DD_API int dd_where(dd_tensor cond, dd_tensor a, dd_tensor b, dd_tensor* out);
DD_API int dd_leaky_relu(dd_tensor a, double slope, dd_tensor* out);
DD_API int dd_softmax(dd_tensor a, int64_t dim, dd_tensor* out);
DD_API int dd_log_softmax(dd_tensor a, int64_t dim, dd_tensor* out);
DD_API int dd_dropout(dd_tensor a, double p, uint8_t train, dd_tensor* out);
DD_API int dd_masked_fill(dd_tensor a, dd_tensor mask, double value, dd_tensor* out);
DD_API int dd_masked_select(dd_tensor a, dd_tensor mask, dd_tensor* out);

/* ---- in place (for optimisers under no-grad); out is a fresh alias of a ---- */
DD_API int dd_add_(dd_tensor a, dd_tensor b, double alpha);     /* a += alpha*b */
DD_API int dd_mul_scalar_(dd_tensor a, double s);
DD_API int dd_copy_(dd_tensor dst, dd_tensor src);
DD_API int dd_fill_(dd_tensor a, double value);
DD_API int dd_index_copy_(dd_tensor a, int64_t dim, dd_tensor index, dd_tensor src);

/* ---- reductions ---- */
enum { DD_R_SUM = 0, DD_R_MEAN, DD_R_AMAX, DD_R_AMIN, DD_R_LOGSUMEXP, DD_R_PROD };
/* ndim == 0 reduces over all dims (logsumexp needs dims) */
DD_API int dd_reduce(int32_t op, dd_tensor a, const int64_t* dims, int64_t ndim, uint8_t keepdim, dd_tensor* out);
DD_API int dd_var(dd_tensor a, const int64_t* dims, int64_t ndim, int64_t correction, uint8_t keepdim, uint8_t take_sqrt, dd_tensor* out);
DD_API int dd_norm(dd_tensor a, double p, const int64_t* dims, int64_t ndim, uint8_t keepdim, dd_tensor* out);
DD_API int dd_max_dim(dd_tensor a, int64_t dim, uint8_t keepdim, uint8_t is_min, dd_tensor* values, dd_tensor* indices);
DD_API int dd_argmax(dd_tensor a, int64_t dim, uint8_t keepdim, dd_tensor* out);

/* ---- shape and indexing ---- */
DD_API int dd_reshape(dd_tensor a, const int64_t* shape, int64_t ndim, dd_tensor* out);
DD_API int dd_view(dd_tensor a, const int64_t* shape, int64_t ndim, dd_tensor* out);
DD_API int dd_permute(dd_tensor a, const int64_t* dims, int64_t ndim, dd_tensor* out);
DD_API int dd_transpose(dd_tensor a, int64_t d0, int64_t d1, dd_tensor* out);
DD_API int dd_narrow(dd_tensor a, int64_t dim, int64_t start, int64_t length, dd_tensor* out);
DD_API int dd_slice(dd_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step, dd_tensor* out);
DD_API int dd_select(dd_tensor a, int64_t dim, int64_t index, dd_tensor* out);
DD_API int dd_squeeze(dd_tensor a, int64_t dim, dd_tensor* out);
DD_API int dd_unsqueeze(dd_tensor a, int64_t dim, dd_tensor* out);
DD_API int dd_flatten(dd_tensor a, int64_t start, int64_t end, dd_tensor* out);
DD_API int dd_expand(dd_tensor a, const int64_t* shape, int64_t ndim, dd_tensor* out);
DD_API int dd_repeat(dd_tensor a, const int64_t* repeats, int64_t ndim, dd_tensor* out);
DD_API int dd_flip(dd_tensor a, const int64_t* dims, int64_t ndim, dd_tensor* out);
DD_API int dd_roll(dd_tensor a, const int64_t* shifts, const int64_t* dims, int64_t n, dd_tensor* out);
DD_API int dd_index_select(dd_tensor a, int64_t dim, dd_tensor index, dd_tensor* out);
DD_API int dd_gather(dd_tensor a, int64_t dim, dd_tensor index, dd_tensor* out);
DD_API int dd_scatter(dd_tensor a, int64_t dim, dd_tensor index, dd_tensor src, dd_tensor* out);
DD_API int dd_scatter_add(dd_tensor a, int64_t dim, dd_tensor index, dd_tensor src, dd_tensor* out);
DD_API int dd_cat(const dd_tensor* ts, int64_t n, int64_t dim, dd_tensor* out);
DD_API int dd_stack(const dd_tensor* ts, int64_t n, int64_t dim, dd_tensor* out);
DD_API int dd_split_sizes(dd_tensor a, const int64_t* sizes, int64_t n, int64_t dim, dd_tensor* outs); /* outs has n slots */
DD_API int dd_constant_pad(dd_tensor a, const int64_t* pad, int64_t npad, double value, dd_tensor* out);
DD_API int dd_one_hot(dd_tensor labels, int64_t classes, dd_tensor* out);

/* ---- linear algebra and neural-network ops ---- */
DD_API int dd_matmul(dd_tensor a, dd_tensor b, dd_tensor* out);
/* Symmetric (Hermitian) eigendecomposition of a (..., n, n) from its lower triangle: eigenvalues ascending (..., n),
   eigenvectors as columns (..., n, n). */
DD_API int dd_linalg_eigh(dd_tensor a, dd_tensor* eigenvalues, dd_tensor* eigenvectors);
DD_API int dd_addmm(dd_tensor bias, dd_tensor a, dd_tensor b, double beta, double alpha, dd_tensor* out);
DD_API int dd_linear(dd_tensor x, dd_tensor w, dd_tensor b /*nullable*/, dd_tensor* out);
DD_API int dd_conv2d(dd_tensor x, dd_tensor w, dd_tensor b /*nullable*/, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                     int64_t dh, int64_t dw, int64_t groups, dd_tensor* out);
DD_API int dd_max_pool2d(dd_tensor x, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, dd_tensor* out);
DD_API int dd_avg_pool2d(dd_tensor x, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, dd_tensor* out);
DD_API int dd_adaptive_avg_pool2d(dd_tensor x, int64_t oh, int64_t ow, dd_tensor* out);
/* running_mean/var nullable; when training they are updated in place with the unbiased batch variance */
DD_API int dd_batch_norm(dd_tensor x, dd_tensor w, dd_tensor b, dd_tensor running_mean, dd_tensor running_var,
                         uint8_t training, double momentum, double eps, dd_tensor* out);
DD_API int dd_instance_norm(dd_tensor x, dd_tensor w, dd_tensor b, double eps, dd_tensor* out);
DD_API int dd_group_norm(dd_tensor x, int64_t groups, dd_tensor w, dd_tensor b, double eps, dd_tensor* out);
// The same values and derivatives as dd_conv2d / dd_group_norm / dd_avg_pool2d (kernel = stride, no padding), with
// hand-written first and second derivatives on fast CPU kernels (trajectory matching differentiates twice).
// Cases the kernels do not cover (CUDA, half types, group norm without affine, pooling kernel other than 2)
// take the composite path. Derivatives of third order are not implemented for the fast group norm.
DD_API int dd_fast_conv2d(dd_tensor x, dd_tensor w, dd_tensor b /*nullable*/, int64_t sh, int64_t sw, int64_t ph,
                          int64_t pw, int64_t dh, int64_t dw, int64_t groups, dd_tensor* out);
// relu != 0: max(group_norm(x), 0) in the same kernels.
DD_API int dd_fast_group_norm(dd_tensor x, int64_t groups, dd_tensor w, dd_tensor b, double eps, uint8_t relu,
                              dd_tensor* out);
DD_API int dd_fast_avg_pool2d(dd_tensor x, int64_t kernel, dd_tensor* out);
// The instruction set of the fast CPU kernels: 0 baseline x86-64, 1 AVX2, 2 AVX-512 (at load: the widest the CPU
// has, capped by DDIST_MAX_CPU_ISA or DNNL_MAX_CPU_ISA). set >= 0 picks that one or the widest below it the CPU has;
// set < 0 only reads. *now: the one in use afterwards.
DD_API int dd_fast_kernel_isa(int32_t set, int32_t* now);
// Records every op libtorch runs on this thread between start and stop; stop writes a Chrome trace to path.
DD_API int dd_profiler_start(const char* path);
DD_API int dd_profiler_stop(void);
DD_API int dd_layer_norm(dd_tensor x, const int64_t* normalized_shape, int64_t ndim, dd_tensor w, dd_tensor b, double eps, dd_tensor* out);
/* target: int64 class indices (N) or float probabilities (N,K). reduction 0 none, 1 mean, 2 sum */
DD_API int dd_cross_entropy(dd_tensor logits, dd_tensor target, int64_t reduction, double label_smoothing, dd_tensor* out);
DD_API int dd_mse_loss(dd_tensor a, dd_tensor b, int64_t reduction, dd_tensor* out);
DD_API int dd_affine_grid(dd_tensor theta, const int64_t* size, int64_t ndim, uint8_t align_corners, dd_tensor* out);
/* mode 0 bilinear, 1 nearest; padding 0 zeros, 1 border, 2 reflection */
DD_API int dd_grid_sample(dd_tensor x, dd_tensor grid, int64_t mode, int64_t padding, uint8_t align_corners, dd_tensor* out);
/* Bilinear, zero padding, as gathers: what dd_grid_sample runs on CUDA in deterministic mode (exposed for tests) */
DD_API int dd_grid_sample_gather(dd_tensor x, dd_tensor grid, uint8_t align_corners, dd_tensor* out);
DD_API int dd_interpolate_bilinear(dd_tensor x, int64_t oh, int64_t ow, uint8_t align_corners, dd_tensor* out);

/* ---- autograd ---- */
DD_API int dd_backward(dd_tensor t, dd_tensor grad /*nullable*/, uint8_t retain_graph, uint8_t create_graph);
/* results has n_in slots; an unused input yields NULL when allow_unused. grad_outputs may hold NULLs */
DD_API int dd_grad(const dd_tensor* outputs, int64_t n_out, const dd_tensor* grad_outputs,
                   const dd_tensor* inputs, int64_t n_in, uint8_t retain_graph, uint8_t create_graph,
                   uint8_t allow_unused, dd_tensor* results);

/* ---- image codecs (libpng / libjpeg-turbo); pixels are HWC uint8 ---- */
/* decode: channels_out = 1 (grey) or 3 (RGB). the caller frees *pixels with dd_free_buffer */
DD_API int dd_image_decode(const uint8_t* bytes, int64_t len, int32_t channels_out,
                           uint8_t** pixels, int64_t* height, int64_t* width);
DD_API int dd_free_buffer(void* p);

#ifdef __cplusplus
}
#endif
#endif
