using System.Runtime.InteropServices;
using static DDist.Torch.TorchException;

namespace DDist.Torch;

/// <summary>Entry points that create tensors or touch libtorch's global state (seed, threads, grad mode, CUDA).
/// (Named Tensors, not Torch, so it never collides with the DDist.Torch namespace inside DDist.* code.)</summary>
public static unsafe class Tensors
{
    public static int AbiVersion => Native.dd_abi_version();
    public static string Version => Marshal.PtrToStringUTF8(Native.dd_torch_version()) ?? "?";

    public static bool IsCudaAvailable { get { Check(Native.dd_cuda_is_available(out var r)); return r != 0; } }
    public static int CudaDeviceCount { get { Check(Native.dd_cuda_device_count(out var n)); return (int)n; } }
    public static void CudaSynchronize() => Check(Native.dd_cuda_synchronize());
    /// <summary>Returns the CUDA caching allocator's unused blocks to the driver (a no-op where it cannot be reached).</summary>
    public static void CudaEmptyCache() => Check(Native.dd_cuda_empty_cache());

    /// <summary>The CUDA caching allocator's statistics for one device (as torch.cuda.memory_allocated,
    /// max_memory_allocated and memory_reserved); null when this shim cannot read them (CPU libtorch, or a
    /// libtorch before 2.9 built without CUDA headers).</summary>
    public static CudaMemoryStats? CudaMemory(int device = 0)
    {
        Check(Native.dd_cuda_memory_stats(device, out var available, out var allocated, out var peak, out var reserved));
        return available != 0 ? new CudaMemoryStats(allocated, peak, reserved) : null;
    }

    /// <summary>TF32 tensor-core maths for float32 convolutions (cuDNN) and matrix products (cuBLAS) on CUDA;
    /// libtorch's defaults are on for convolutions, off for matrix products (as PyTorch's). Both off give full
    /// float32 precision, which comparisons against CPU results need.</summary>
    public static (bool Convolutions, bool MatMul) AllowTF32
    {
        get { Check(Native.dd_get_allow_tf32(out var c, out var m)); return (c != 0, m != 0); }
        set => Check(Native.dd_set_allow_tf32(value.Convolutions ? (byte)1 : (byte)0, value.MatMul ? (byte)1 : (byte)0));
    }

    /// <summary>Deterministic algorithms (torch.use_deterministic_algorithms with warn_only, cudnn.deterministic, cudnn
    /// benchmark off, a fixed cuBLAS workspace): on a GPU, cuDNN and CUDA ops take kernels that give the same bits on
    /// every run, at some cost in speed; <see cref="Functional.GridSample"/> (DSA's rotate and scale) then samples
    /// bilinearly through gathers on CUDA, grid_sample's own backward having no deterministic kernel; other ops without
    /// one warn and stay as they are. Set it before the first CUDA computation. The CPU kernels DDist uses repeat
    /// already.</summary>
    public static bool Deterministic
    {
        get { Check(Native.dd_get_deterministic(out var on)); return on != 0; }
        set => Check(Native.dd_set_deterministic(value ? (byte)1 : (byte)0));
    }

    /// <summary>Starts a new peak for <see cref="CudaMemory"/> (torch.cuda.reset_peak_memory_stats).</summary>
    public static void CudaResetPeakMemory(int device = 0) => Check(Native.dd_cuda_reset_peak_memory(device));

    /// <summary>Seeds libtorch's default generators (CPU and CUDA).</summary>
    public static void ManualSeed(ulong seed) => Check(Native.dd_manual_seed(seed));

    /// <summary>The CPU generator's state, for checkpoints that must resume bit-identically.</summary>
    public static Tensor GetRngState() => Tensor.Wrap(Native.dd_get_rng_state(out var r), r);
    public static void SetRngState(Tensor state) { Check(Native.dd_set_rng_state(state.Ptr)); GC.KeepAlive(state); }

    /// <summary>The state of a device's default generator (the CPU's, or a GPU's: draws made on a GPU come from its
    /// own generator). Throws where the device does not exist or this libtorch lacks its backend.</summary>
    public static Tensor GetRngState(Device device) =>
        Tensor.Wrap(Native.dd_get_device_rng_state((int)device.Type, device.Index, out var r), r);
    public static void SetRngState(Tensor state, Device device)
    {
        Check(Native.dd_set_device_rng_state((int)device.Type, device.Index, state.Ptr));
        GC.KeepAlive(state);
    }

    public static int NumThreads
    {
        get { Check(Native.dd_get_num_threads(out var n)); return (int)n; }
    }

    public static void SetNumThreads(int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), "thread count must be at least 1");
        Check(Native.dd_set_num_threads(n));
    }

    /// <summary>The instruction set DDist's fused CPU kernels (group norm, 2×2 pooling) run with: at load the widest
    /// the CPU has, capped by <c>DDIST_MAX_CPU_ISA</c> or oneDNN's <c>DNNL_MAX_CPU_ISA</c> (so
    /// <c>DNNL_MAX_CPU_ISA=AVX2</c> approximates an AVX2-only machine for oneDNN and these kernels alike). Setting it
    /// picks that set or the widest below it this CPU has.</summary>
    public static KernelIsa FastKernelIsa
    {
        get { Check(Native.dd_fast_kernel_isa(-1, out var now)); return (KernelIsa)now; }
        set { Check(Native.dd_fast_kernel_isa((int)value, out _)); }
    }

    /// <summary>Physical cores where Linux tells them (hyper-threads share FPUs, so libtorch runs best on cores).</summary>
    public static int PhysicalCores()
    {
        try
        {
            var pairs = new HashSet<(string, string)>();
            string phys = "0";
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("physical id")) phys = line.Split(':')[1].Trim();
                else if (line.StartsWith("core id")) pairs.Add((phys, line.Split(':')[1].Trim()));
            }
            if (pairs.Count > 0) return Math.Min(pairs.Count, Environment.ProcessorCount);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return Environment.ProcessorCount;
    }

    public static bool IsGradEnabled { get { Check(Native.dd_is_grad_enabled(out var r)); return r != 0; } }

    /// <summary>Disables gradient recording until disposed (restores the previous mode).</summary>
    public static GradModeScope NoGrad() => new(false);
    public static GradModeScope EnableGrad() => new(true);

    public readonly struct GradModeScope : IDisposable
    {
        private readonly bool _previous;
        internal GradModeScope(bool enabled)
        {
            Check(Native.dd_set_grad_enabled(enabled ? (byte)1 : (byte)0, out var prev));
            _previous = prev != 0;
        }
        public void Dispose() => Check(Native.dd_set_grad_enabled(_previous ? (byte)1 : (byte)0, out _));
    }

    internal static DType DTypeOf<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return DType.Float32;
        if (typeof(T) == typeof(double)) return DType.Float64;
        if (typeof(T) == typeof(long)) return DType.Int64;
        if (typeof(T) == typeof(byte)) return DType.UInt8;
        if (typeof(T) == typeof(bool)) return DType.Bool;
        if (typeof(T) == typeof(int)) return DType.Int32;
        throw new NotSupportedException($"no tensor dtype for {typeof(T).Name}");
    }

    private delegate int ShapeCtor(long* s, long n, int dt, int dev, long di, out nint r);

    private static Tensor Make(ShapeCtor ctor, long[] shape, DType dtype, Device? device)
    {
        var d = device ?? Device.Cpu;
        fixed (long* s = shape) return Tensor.Wrap(ctor(s, shape.Length, (int)dtype, (int)d.Type, d.Index, out var r), r);
    }

    public static Tensor Empty(long[] shape, DType dtype = DType.Float32, Device? device = null) => Make(Native.dd_empty, shape, dtype, device);
    public static Tensor Zeros(long[] shape, DType dtype = DType.Float32, Device? device = null) => Make(Native.dd_zeros, shape, dtype, device);
    public static Tensor Ones(long[] shape, DType dtype = DType.Float32, Device? device = null) => Make(Native.dd_ones, shape, dtype, device);
    public static Tensor Rand(long[] shape, DType dtype = DType.Float32, Device? device = null) => Make(Native.dd_rand, shape, dtype, device);
    public static Tensor Randn(long[] shape, DType dtype = DType.Float32, Device? device = null) => Make(Native.dd_randn, shape, dtype, device);

    public static Tensor Full(long[] shape, double value, DType dtype = DType.Float32, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        fixed (long* s = shape) return Tensor.Wrap(Native.dd_full(s, shape.Length, value, (int)dtype, (int)d.Type, d.Index, out var r), r);
    }

    public static Tensor Scalar(double value, DType dtype = DType.Float32, Device? device = null) => Full([], value, dtype, device);

    /// <summary>Integers uniform in [low, high).</summary>
    public static Tensor RandInt(long low, long high, long[] shape, DType dtype = DType.Int64, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        fixed (long* s = shape) return Tensor.Wrap(Native.dd_randint(low, high, s, shape.Length, (int)dtype, (int)d.Type, d.Index, out var r), r);
    }

    public static Tensor RandPerm(long n, DType dtype = DType.Int64, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        return Tensor.Wrap(Native.dd_randperm(n, (int)dtype, (int)d.Type, d.Index, out var r), r);
    }

    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Int64, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        return Tensor.Wrap(Native.dd_arange(start, end, step, (int)dtype, (int)d.Type, d.Index, out var r), r);
    }

    public static Tensor Arange(long end, DType dtype = DType.Int64, Device? device = null) => Arange(0, end, 1, dtype, device);

    /// <summary>A CPU tensor holding a copy of <paramref name="data"/> with the given shape.</summary>
    public static Tensor FromArray<T>(ReadOnlySpan<T> data, params long[] shape) where T : unmanaged
    {
        long count = 1;
        foreach (var s in shape) count *= s;
        if (count != data.Length)
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] needs {count} elements, got {data.Length}");
        fixed (T* p = data)
        fixed (long* s = shape)
            return Tensor.Wrap(Native.dd_from_data(p, (long)data.Length * sizeof(T), s, shape.Length, (int)DTypeOf<T>(), out var r), r);
    }

    public static Tensor FromArray<T>(T[] data, params long[] shape) where T : unmanaged => FromArray((ReadOnlySpan<T>)data, shape);
    public static Tensor FromArray<T>(T[] data) where T : unmanaged => FromArray((ReadOnlySpan<T>)data, data.Length);

    /// <summary>A CPU tensor from raw little-endian element bytes (as stored in safetensors and .npy).</summary>
    public static Tensor FromBytes(ReadOnlySpan<byte> bytes, DType dtype, params long[] shape)
    {
        fixed (byte* p = bytes)
        fixed (long* s = shape)
            return Tensor.Wrap(Native.dd_from_data(p, bytes.Length, s, shape.Length, (int)dtype, out var r), r);
    }

    public static Tensor Cat(IReadOnlyList<Tensor> tensors, long dim = 0) => Join(tensors, dim, stack: false);
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, long dim = 0) => Join(tensors, dim, stack: true);

    private static Tensor Join(IReadOnlyList<Tensor> tensors, long dim, bool stack)
    {
        var ptrs = new nint[tensors.Count];
        for (int i = 0; i < ptrs.Length; i++) ptrs[i] = tensors[i].Ptr;
        Tensor result;
        fixed (nint* p = ptrs)
            result = Tensor.Wrap(stack ? Native.dd_stack(p, ptrs.Length, dim, out var r) : Native.dd_cat(p, ptrs.Length, dim, out r), r);
        GC.KeepAlive(tensors);
        foreach (var t in tensors) GC.KeepAlive(t);
        return result;
    }

    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        var r = Tensor.Wrap(Native.dd_where(condition.Ptr, a.Ptr, b.Ptr, out var p), p);
        GC.KeepAlive(condition); GC.KeepAlive(a); GC.KeepAlive(b);
        return r;
    }
}
