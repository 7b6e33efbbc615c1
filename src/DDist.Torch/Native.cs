using System.Runtime.InteropServices;

namespace DDist.Torch;

/// <summary>Every entry point of the shim (native/include/ddist.h), in one place.
/// All return 0 on success and -1 on failure; <see cref="TorchException.Check"/> turns failures into exceptions.</summary>
internal static unsafe partial class Native
{
    internal const string Lib = "ddist_shim";

    [LibraryImport(Lib)] internal static partial int dd_abi_version();
    [LibraryImport(Lib)] internal static partial nint dd_torch_version();
    [LibraryImport(Lib)] internal static partial nint dd_last_error();
    [LibraryImport(Lib)] internal static partial long dd_live_tensors();
    [LibraryImport(Lib)] internal static partial int dd_cuda_is_available(out byte r);
    [LibraryImport(Lib)] internal static partial int dd_cuda_device_count(out long r);
    [LibraryImport(Lib)] internal static partial int dd_cuda_synchronize();
    [LibraryImport(Lib)] internal static partial int dd_cuda_empty_cache();
    [LibraryImport(Lib)] internal static partial int dd_cuda_memory_stats(long index, out byte available, out long allocated, out long peak, out long reserved);
    [LibraryImport(Lib)] internal static partial int dd_cuda_reset_peak_memory(long index);
    [LibraryImport(Lib)] internal static partial int dd_cpu_memory_stats(out byte counting, out long allocated, out long peak);
    [LibraryImport(Lib)] internal static partial int dd_cpu_reset_peak_memory();
    [LibraryImport(Lib)] internal static partial int dd_set_cpu_memory_limit(long bytes);
    [LibraryImport(Lib)] internal static partial int dd_get_cpu_memory_limit(out long bytes);
    [LibraryImport(Lib)] internal static partial int dd_set_allow_tf32(byte convolutions, byte matmul);
    [LibraryImport(Lib)] internal static partial int dd_get_allow_tf32(out byte convolutions, out byte matmul);
    [LibraryImport(Lib)] internal static partial int dd_set_deterministic(byte on);
    [LibraryImport(Lib)] internal static partial int dd_get_deterministic(out byte on);
    [LibraryImport(Lib)] internal static partial int dd_manual_seed(ulong seed);
    [LibraryImport(Lib)] internal static partial int dd_get_rng_state(out nint r);
    [LibraryImport(Lib)] internal static partial int dd_set_rng_state(nint s);
    [LibraryImport(Lib)] internal static partial int dd_get_device_rng_state(int dev, long index, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_set_device_rng_state(int dev, long index, nint s);
    [LibraryImport(Lib)] internal static partial int dd_set_num_threads(long n);
    [LibraryImport(Lib)] internal static partial int dd_get_num_threads(out long n);
    [LibraryImport(Lib)] internal static partial int dd_set_grad_enabled(byte enabled, out byte previous);
    [LibraryImport(Lib)] internal static partial int dd_is_grad_enabled(out byte r);

    [LibraryImport(Lib)] internal static partial int dd_free(nint t);
    [LibraryImport(Lib)] internal static partial int dd_alias(nint t, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_dim(nint t, out long r);
    [LibraryImport(Lib)] internal static partial int dd_shape(nint t, long* dims, long capacity);
    [LibraryImport(Lib)] internal static partial int dd_numel(nint t, out long r);
    [LibraryImport(Lib)] internal static partial int dd_dtype(nint t, out int r);
    [LibraryImport(Lib)] internal static partial int dd_device(nint t, out int type, out long index);
    [LibraryImport(Lib)] internal static partial int dd_requires_grad(nint t, out byte r);
    [LibraryImport(Lib)] internal static partial int dd_set_requires_grad(nint t, byte v);
    [LibraryImport(Lib)] internal static partial int dd_grad_of(nint t, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_set_grad(nint t, nint g);
    [LibraryImport(Lib)] internal static partial int dd_has_grad_fn(nint t, out byte r);
    [LibraryImport(Lib)] internal static partial int dd_item_double(nint t, out double r);
    [LibraryImport(Lib)] internal static partial int dd_item_int64(nint t, out long r);

    [LibraryImport(Lib)] internal static partial int dd_empty(long* s, long n, int dt, int dev, long di, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_zeros(long* s, long n, int dt, int dev, long di, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_ones(long* s, long n, int dt, int dev, long di, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_full(long* s, long n, double v, int dt, int dev, long di, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_rand(long* s, long n, int dt, int dev, long di, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_randn(long* s, long n, int dt, int dev, long di, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_randint(long lo, long hi, long* s, long n, int dt, int dev, long di, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_randperm(long n, int dt, int dev, long di, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_arange(double start, double end, double step, int dt, int dev, long di, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_uniform_(nint t, double from, double to);
    [LibraryImport(Lib)] internal static partial int dd_from_data(void* data, long nbytes, long* s, long n, int dt, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_to_data(nint t, void* data, long nbytes);
    [LibraryImport(Lib)] internal static partial int dd_to(nint t, int dt, int dev, long di, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_clone(nint t, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_detach(nint t, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_contiguous(nint t, out nint r);

    [LibraryImport(Lib)] internal static partial int dd_unary(int op, nint a, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_binary(int op, nint a, nint b, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_binary_scalar(int op, nint a, double b, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_rsub_scalar(nint a, double b, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_add_scaled(nint a, nint b, double alpha, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_clamp(nint a, byte hasMin, double min, byte hasMax, double max, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_where(nint c, nint a, nint b, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_leaky_relu(nint a, double slope, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_softmax(nint a, long dim, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_log_softmax(nint a, long dim, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_dropout(nint a, double p, byte train, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_masked_fill(nint a, nint m, double v, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_masked_select(nint a, nint m, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_add_(nint a, nint b, double alpha);
    [LibraryImport(Lib)] internal static partial int dd_mul_scalar_(nint a, double s);
    [LibraryImport(Lib)] internal static partial int dd_copy_(nint dst, nint src);
    [LibraryImport(Lib)] internal static partial int dd_fill_(nint a, double v);
    [LibraryImport(Lib)] internal static partial int dd_index_copy_(nint a, long dim, nint index, nint src);

    [LibraryImport(Lib)] internal static partial int dd_reduce(int op, nint a, long* dims, long n, byte keep, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_var(nint a, long* dims, long n, long correction, byte keep, byte sqrt, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_norm(nint a, double p, long* dims, long n, byte keep, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_max_dim(nint a, long dim, byte keep, byte isMin, out nint values, out nint indices);
    [LibraryImport(Lib)] internal static partial int dd_argmax(nint a, long dim, byte keep, out nint r);

    [LibraryImport(Lib)] internal static partial int dd_reshape(nint a, long* s, long n, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_view(nint a, long* s, long n, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_permute(nint a, long* d, long n, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_transpose(nint a, long d0, long d1, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_narrow(nint a, long dim, long start, long len, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_slice(nint a, long dim, long start, long end, long step, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_select(nint a, long dim, long index, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_squeeze(nint a, long dim, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_unsqueeze(nint a, long dim, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_flatten(nint a, long start, long end, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_expand(nint a, long* s, long n, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_repeat(nint a, long* s, long n, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_flip(nint a, long* d, long n, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_roll(nint a, long* shifts, long* dims, long n, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_index_select(nint a, long dim, nint idx, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_gather(nint a, long dim, nint idx, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_scatter(nint a, long dim, nint idx, nint src, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_scatter_add(nint a, long dim, nint idx, nint src, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_cat(nint* ts, long n, long dim, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_stack(nint* ts, long n, long dim, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_split_sizes(nint a, long* sizes, long n, long dim, nint* outs);
    [LibraryImport(Lib)] internal static partial int dd_constant_pad(nint a, long* pad, long n, double value, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_one_hot(nint labels, long classes, out nint r);

    [LibraryImport(Lib)] internal static partial int dd_matmul(nint a, nint b, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_linalg_eigh(nint a, out nint values, out nint vectors);
    [LibraryImport(Lib)] internal static partial int dd_addmm(nint bias, nint a, nint b, double beta, double alpha, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_linear(nint x, nint w, nint b, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_conv2d(nint x, nint w, nint b, long sh, long sw, long ph, long pw, long dh, long dw, long groups, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_max_pool2d(nint x, long kh, long kw, long sh, long sw, long ph, long pw, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_avg_pool2d(nint x, long kh, long kw, long sh, long sw, long ph, long pw, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_adaptive_avg_pool2d(nint x, long oh, long ow, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_batch_norm(nint x, nint w, nint b, nint rm, nint rv, byte training, double momentum, double eps, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_instance_norm(nint x, nint w, nint b, double eps, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_group_norm(nint x, long groups, nint w, nint b, double eps, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_fast_conv2d(nint x, nint w, nint b, long sh, long sw, long ph, long pw, long dh, long dw, long groups, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_fast_group_norm(nint x, long groups, nint w, nint b, double eps, byte relu, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_fast_avg_pool2d(nint x, long kernel, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_fast_kernel_isa(int set, out int now);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial int dd_profiler_start(string path);
    [LibraryImport(Lib)] internal static partial int dd_profiler_stop();
    [LibraryImport(Lib)] internal static partial int dd_layer_norm(nint x, long* ns, long n, nint w, nint b, double eps, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_cross_entropy(nint logits, nint target, long reduction, double smoothing, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_mse_loss(nint a, nint b, long reduction, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_affine_grid(nint theta, long* size, long n, byte align, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_grid_sample(nint x, nint grid, long mode, long padding, byte align, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_grid_sample_gather(nint x, nint grid, byte align, out nint r);
    [LibraryImport(Lib)] internal static partial int dd_interpolate_bilinear(nint x, long oh, long ow, byte align, out nint r);

    [LibraryImport(Lib)] internal static partial int dd_backward(nint t, nint grad, byte retain, byte create);
    [LibraryImport(Lib)] internal static partial int dd_grad(nint* outputs, long nOut, nint* gradOutputs, nint* inputs, long nIn, byte retain, byte create, byte allowUnused, nint* results);

    [LibraryImport(Lib)] internal static partial int dd_image_decode(byte* bytes, long len, int channels, out nint pixels, out long height, out long width);
    [LibraryImport(Lib)] internal static partial int dd_free_buffer(nint p);
}
