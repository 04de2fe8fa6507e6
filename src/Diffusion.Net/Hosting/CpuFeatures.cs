using System.Runtime.Intrinsics.X86;

namespace Diffusion.Net.Hosting;

/// <summary>What this process's CPU can compute natively, for choosing a precision before any tensor is made.</summary>
public static class CpuFeatures
{
    /// <summary>
    /// Whether the CPU multiplies bfloat16 matrices in hardware: x86 with AVX-512 BF16 (<c>avx512_bf16</c>; every CPU
    /// with AMX-BF16 has it too), usable by the OS. Without it oneDNN emulates bfloat16, and a bfloat16 network runs
    /// about 8–10× slower than in float32 (measured on a 2-vCPU AVX2-only AMD EPYC, docs/performance.md); with it,
    /// bfloat16 training ran 1.8× faster than float32 on an AMD EPYC with AVX-512 BF16, and 0.8× on an Intel Xeon
    /// without AMX. False on other architectures, where bfloat16 is unmeasured.
    /// </summary>
    public static bool HasNativeBFloat16 { get; } = DetectBFloat16();

    private static bool DetectBFloat16()
    {
        // Avx512F.IsSupported also checks that the OS saves the ZMM state (and implies CPUID leaf 7); leaf 7 sub-leaf 1, EAX bit 5 is AVX512_BF16.
        if (!Avx512F.IsSupported) return false;
        var (eax, _, _, _) = X86Base.CpuId(7, 1);
        return (eax & (1 << 5)) != 0;
    }
}
