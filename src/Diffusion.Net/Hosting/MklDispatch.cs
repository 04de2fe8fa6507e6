using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using TorchSharp;

namespace Diffusion.Net.Hosting;

/// <summary>
/// Process-wide control of how the Intel MKL inside libtorch picks its CPU kernels. libtorch multiplies float32
/// matrices (every linear layer, attention's batched products) with MKL's <c>sgemm</c>, and MKL chooses its kernels by
/// CPU vendor as well as by instruction set: on a CPU that is not Intel it takes a generic path whatever the CPU
/// supports. Nothing in Diffusion.Net calls this class; it is the application's choice, made once at start-up.
/// </summary>
/// <remarks>
/// Measured on a 2-vCPU AMD EPYC (Zen 5, AVX-512): float32 GEMMs at T5-XXL's shapes ran at 129–155 GFLOP/s on the
/// vendor's path and at 281–296 GFLOP/s on the instruction-set path, a 2048² matmul at 184–186 against 405–429
/// (docs/performance.md). MKL decides once per
/// process, at its first call, and caches the vendor test's answer in its own data; <see cref="IgnoreCpuVendor"/>
/// sets that cached answer to "Intel" before MKL has asked, so MKL then chooses by the CPUID features alone (AVX-512,
/// AVX2, …), exactly as it does on an Intel CPU with the same features. Results differ from the vendor path's by
/// float rounding only (another summation order), not in kind.
/// </remarks>
public static class MklDispatch
{
    // MKL's mkl_serv_intel_cpu_true begins by returning its cached answer when one is there:
    //   8B 05 d32   mov eax, [rip + d32]    (the cache: −1 until asked, then 0 or 1)
    //   85 C0       test eax, eax
    //   78 01       js  +1                  (not asked yet: go on to CPUID)
    //   C3          ret
    private static ReadOnlySpan<byte> CachedAnswerPrologue => [0x8B, 0x05, 0, 0, 0, 0, 0x85, 0xC0, 0x78, 0x01, 0xC3];

    private static readonly object Gate = new();

    /// <summary>
    /// <b>Process-wide and opt-in:</b> makes libtorch's MKL choose its kernels by instruction set alone, as on an Intel
    /// CPU, for the rest of the process. Call it at start-up, before any float32 matrix product: MKL decides at its
    /// first one, and the decision cannot be changed afterwards. It changes only MKL's cached vendor answer, after
    /// checking that the code and data it reads are MKL's own, in libtorch's mapped file; where anything differs from
    /// that form it changes nothing.
    /// </summary>
    /// <returns>What was found and done (<see cref="MklDispatchOutcome"/>); only <see cref="MklDispatchOutcome.Applied"/> changes anything.</returns>
    public static MklDispatchOutcome IgnoreCpuVendor()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return MklDispatchOutcome.NotSupported;
        if (IsIntelCpu()) return MklDispatchOutcome.IntelCpu;
        lock (Gate)
        {
            if (!TryLocateCachedAnswer(out nint answer)) return MklDispatchOutcome.NotSupported;
            int current = Marshal.ReadInt32(answer);
            if (current == 0) return MklDispatchOutcome.AlreadyChosen;
            if (current < 0) Marshal.WriteInt32(answer, 1);
            return MklDispatchOutcome.Applied;
        }
    }

    /// <summary>
    /// MKL's answer to "is this an Intel CPU?" as it stands in this process: null where MKL has not asked yet (or
    /// cannot be inspected here), else what it will use.
    /// </summary>
    internal static bool? CachedAnswer()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return null;
        lock (Gate)
        {
            if (!TryLocateCachedAnswer(out nint answer)) return null;
            int current = Marshal.ReadInt32(answer);
            return current < 0 ? null : current != 0;
        }
    }

    private static bool IsIntelCpu()
    {
        if (!X86Base.IsSupported) return false;
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        // "GenuineIntel" in EBX, EDX, ECX order.
        return ebx == 0x756E6547 && edx == 0x49656E69 && ecx == 0x6C65746E;
    }

    /// <summary>Finds MKL's cached vendor answer inside the libtorch_cpu this process has mapped, or says why not.</summary>
    private static bool TryLocateCachedAnswer(out nint answer)
    {
        answer = 0;
        // TorchSharp maps libtorch on first use; this loads it without running any MKL routine.
        torch.InitializeDeviceType(DeviceType.CPU);
        var mappings = LibTorchCpuMappings();
        if (mappings.Count == 0) return false;
        if (!NativeLibrary.TryLoad(mappings[0].Path, out var library)) return false;
        try
        {
            if (!NativeLibrary.TryGetExport(library, "mkl_serv_intel_cpu_true", out var function)) return false;
            if (!mappings.Any(m => m.Contains(function, CachedAnswerPrologue.Length) && m.Executable)) return false;
            var code = new byte[CachedAnswerPrologue.Length];
            Marshal.Copy(function, code, 0, code.Length);
            if (!TryReadCachedAnswerAddress(code, function, out var cache)) return false;
            // The cache must be in libtorch's own writable data, aligned: anything else is not the routine checked above.
            if (cache % sizeof(int) != 0 || !mappings.Any(m => m.Contains(cache, sizeof(int)) && m.Writable)) return false;
            answer = cache;
            return true;
        }
        finally
        {
            NativeLibrary.Free(library); // drops only the reference TryLoad added
        }
    }

    /// <summary>Decodes the prologue of <c>mkl_serv_intel_cpu_true</c> at <paramref name="address"/>: the address of its cached answer.</summary>
    internal static bool TryReadCachedAnswerAddress(ReadOnlySpan<byte> code, nint address, out nint answer)
    {
        answer = 0;
        var expected = CachedAnswerPrologue;
        if (code.Length < expected.Length) return false;
        for (int i = 0; i < expected.Length; i++)
            if (i is < 2 or >= 6 && code[i] != expected[i]) return false;
        // RIP-relative: from the end of the 6-byte mov.
        answer = address + 6 + BinaryPrimitives.ReadInt32LittleEndian(code[2..6]);
        return true;
    }

    private sealed record Mapping(nint Start, nint End, bool Writable, bool Executable, string Path)
    {
        public bool Contains(nint address, int length) => address >= Start && address + length <= End;
    }

    /// <summary>The mapped ranges of the libtorch_cpu shared object, from /proc/self/maps.</summary>
    private static List<Mapping> LibTorchCpuMappings()
    {
        var mappings = new List<Mapping>();
        if (!File.Exists("/proc/self/maps")) return mappings;
        string? path = null;
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            // start-end perms offset dev inode path
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 6) continue;
            var file = fields[5].Trim();
            if (!file.EndsWith("/libtorch_cpu.so", StringComparison.Ordinal)) continue;
            // Two copies of libtorch would be two different MKLs: only the first one mapped is the one TorchSharp uses.
            path ??= file;
            if (!string.Equals(file, path, StringComparison.Ordinal)) return [];
            var range = fields[0].Split('-');
            if (range.Length != 2
                || !long.TryParse(range[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long start)
                || !long.TryParse(range[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long end))
                continue;
            mappings.Add(new Mapping((nint)start, (nint)end, fields[1].Contains('w'), fields[1].Contains('x'), file));
        }
        return mappings;
    }
}
