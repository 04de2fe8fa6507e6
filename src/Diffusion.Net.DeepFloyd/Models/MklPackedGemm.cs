using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Models;

/// <summary>
/// MKL's packed-weight GEMM (<c>cblas_sgemm_pack</c> once, <c>cblas_sgemm_compute</c> per call) through the MKL that
/// libtorch_cpu links in and exports. <c>nn.functional.linear</c> reaches MKL's <c>sgemm</c>, which copies the whole
/// weight into its blocked layout on every call; at a text encoder's few hundred rows that copy costs about as much as
/// the arithmetic. Packing once at load takes it out of every forward, for a packed buffer somewhat larger than the
/// weight (the ratio depends on the kernels MKL picked for this CPU).
/// </summary>
internal static class MklPackedGemm
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112, Packed = 151, BMatrix = 162;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate nuint PackGetSize(int identifier, int m, int n, int k);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void Pack(int layout, int identifier, int trans, int m, int n, int k, float alpha, IntPtr src, int ld, IntPtr dest);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void Compute(int layout, int transa, int transb, int m, int n, int k, IntPtr a, int lda, IntPtr b, int ldb, float beta, IntPtr c, int ldc);

    private sealed record Entry(PackGetSize GetSize, Pack Pack, Compute Compute);

    private static readonly Lazy<Entry?> s_entry = new(Resolve);

    /// <summary>Whether this process's libtorch exports MKL's packed GEMM (Linux x64 builds of libtorch do).</summary>
    public static bool IsSupported => s_entry.Value is not null;

    /// <summary>
    /// Packs a float32 CPU weight W [N, K] (y = x Wᵀ) into MKL's layout, for one row of x. The same buffer serves
    /// other row counts: the tests check 1, 7, 77 and 231 rows against a float64 product.
    /// </summary>
    public static Tensor PackWeight(Tensor weight)
    {
        var entry = RequireEntry();
        CheckWeight(weight);
        int n = checked((int)weight.shape[0]), k = checked((int)weight.shape[1]);
        nuint bytes = entry.GetSize(BMatrix, 1, n, k);
        if (bytes == 0 || (ulong)bytes > long.MaxValue) throw new InvalidOperationException($"MKL reported a packed size of {bytes} bytes for a [{n}, {k}] weight.");
        var packed = empty([((long)bytes + sizeof(float) - 1) / sizeof(float)], ScalarType.Float32);
        var source = weight.contiguous();
        try
        {
            entry.Pack(RowMajor, BMatrix, Trans, 1, n, k, 1f, DataPointer(source), k, DataPointer(packed));
        }
        finally
        {
            if (!ReferenceEquals(source, weight)) source.Dispose();
        }
        return packed;
    }

    /// <summary>y [..., N] = x [..., K] Wᵀ from a buffer <see cref="PackWeight"/> made of W [N, K].</summary>
    public static Tensor Multiply(Tensor x, Tensor packed, long n, long k)
    {
        var entry = RequireEntry();
        if (x.dtype != ScalarType.Float32 || x.device_type != TorchSharp.DeviceType.CPU)
            throw new InvalidOperationException($"The layer's weight is packed for float32 on the CPU; the input is {x.dtype} on {x.device}.");
        if (x.dim() < 1 || x.shape[^1] != k) throw new ArgumentException($"The input's last dimension must be {k}; got [{string.Join(", ", x.shape)}].", nameof(x));
        if (is_grad_enabled() && x.requires_grad) throw new InvalidOperationException("A layer with a packed weight runs inference only: the input requires a gradient.");
        long m = x.numel() / k;
        var shape = x.shape.ToArray();
        shape[^1] = n;
        var y = empty(shape, ScalarType.Float32);
        if (m == 0) return y;
        var a = x.contiguous();
        try
        {
            entry.Compute(RowMajor, NoTrans, Packed, checked((int)m), (int)n, (int)k, DataPointer(a), (int)k, DataPointer(packed), (int)k, 0f, DataPointer(y), (int)n);
        }
        finally
        {
            if (!ReferenceEquals(a, x)) a.Dispose();
        }
        return y;
    }

    private static Entry RequireEntry() =>
        s_entry.Value ?? throw new PlatformNotSupportedException("This process's libtorch does not export MKL's packed GEMM (cblas_sgemm_pack).");

    private static void CheckWeight(Tensor weight)
    {
        if (weight.dtype != ScalarType.Float32 || weight.device_type != TorchSharp.DeviceType.CPU || weight.dim() != 2)
            throw new ArgumentException($"Only a 2-D float32 CPU weight packs; got {weight.dtype} [{string.Join(", ", weight.shape)}] on {weight.device}.", nameof(weight));
        if (weight.shape[0] is < 1 or > int.MaxValue || weight.shape[1] is < 1 or > int.MaxValue)
            throw new ArgumentException($"The weight [{string.Join(", ", weight.shape)}] is outside MKL's 32-bit dimensions.", nameof(weight));
    }

    /// <summary>The address of a contiguous tensor's first element (through a one-element view: a span of the whole may pass 2 GB).</summary>
    private static unsafe IntPtr DataPointer(Tensor t)
    {
        // Both views are disposed here: a view left to the finalizer keeps the tensor's storage alive.
        using var flat = t.view(-1);
        using var first = flat.narrow(0, 0, 1);
        fixed (byte* p = first.bytes) return (IntPtr)p;
    }

    private static Entry? Resolve()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return null;
        // libtorch_cpu is loaded by the time a tensor exists; this returns that same mapping by its soname.
        using (empty(1)) { }
        if (!NativeLibrary.TryLoad("libtorch_cpu.so", out var library)) return null;
        if (!NativeLibrary.TryGetExport(library, "cblas_sgemm_pack_get_size", out var getSize)
            || !NativeLibrary.TryGetExport(library, "cblas_sgemm_pack", out var pack)
            || !NativeLibrary.TryGetExport(library, "cblas_sgemm_compute", out var compute))
            return null;
        // The library stays loaded: torch holds it for the life of the process, and the delegates point into it.
        return new Entry(Marshal.GetDelegateForFunctionPointer<PackGetSize>(getSize), Marshal.GetDelegateForFunctionPointer<Pack>(pack),
            Marshal.GetDelegateForFunctionPointer<Compute>(compute));
    }
}
