using System.Runtime.InteropServices;

namespace Diffusion.Net.Hosting;

/// <summary>
/// The C heap that libtorch allocates CPU tensors from (glibc's malloc on Linux). <see cref="KeepLargeBuffers"/> is
/// process-wide tuning that nothing in Diffusion.Net calls: it changes how every allocation of the process is served,
/// native code included, so it is the application's choice, made once at start-up. <see cref="ReleaseFreedMemory"/>
/// changes no setting; a <see cref="Pipelines.DiffusionPipeline"/> run calls it when it ends
/// (<see cref="Pipelines.DiffusionRunOptions.ReleaseFreedMemory"/>).
/// </summary>
/// <remarks>
/// glibc serves a request above its mmap threshold (dynamic, at most 32 MiB) with a fresh <c>mmap</c> and unmaps it
/// again on free, so a network whose activations are larger than that faults every page of every activation in
/// again on every forward pass: a batch-200 MNIST UNet forward has 40–80 MB activations. Keeping such buffers on the
/// heap lets the next forward reuse pages that are already mapped, at the price of a resident set that does not shrink
/// back after the peak.
/// </remarks>
public static class NativeHeap
{
    private const int MallocTrimThreshold = -1; // M_TRIM_THRESHOLD in glibc's malloc.h
    private const int MallocMmapThreshold = -3; // M_MMAP_THRESHOLD

    private static volatile bool s_keepingLargeBuffers;

    /// <summary>Whether <see cref="KeepLargeBuffers"/> has an effect here: Linux with glibc.</summary>
    public static bool IsSupported { get; } = DetectGlibc();

    /// <summary>
    /// <b>Process-wide and opt-in:</b> makes glibc's malloc serve requests up to <paramref name="maxBufferBytes"/>
    /// from its heap instead of a fresh <c>mmap</c> each, and keep up to that much freed memory at the top of a heap
    /// instead of returning it to the system, so that repeated large tensor allocations reuse mapped pages. It affects
    /// every allocation of the process from the call on, and it is never called by the library itself. Freed memory
    /// stays resident up to the peak. Threads other than the process's first one usually allocate from glibc's
    /// per-thread heaps, which hold at most 64 MiB: their larger requests still get an <c>mmap</c> each.
    /// </summary>
    /// <param name="maxBufferBytes">The largest request served from the heap, and the free memory a heap keeps; 1 MiB … 2 GiB − 1 (default 256 MiB).</param>
    /// <returns>True when glibc accepted both settings; false where the C library is not glibc (Windows, macOS, musl), where nothing is changed.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxBufferBytes"/> is outside 1 MiB … 2 GiB − 1.</exception>
    public static bool KeepLargeBuffers(long maxBufferBytes = 256L << 20)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBufferBytes, 1L << 20);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxBufferBytes, int.MaxValue);
        if (!IsSupported) return false;
        // The trim threshold first: were only the mmap threshold raised, glibc would return the top of its heap to the
        // system on every free of such a buffer, and its pages would fault in again just the same.
        bool trim = NativeMethods.mallopt(MallocTrimThreshold, (int)maxBufferBytes) == 1;
        bool mmap = NativeMethods.mallopt(MallocMmapThreshold, (int)maxBufferBytes) == 1;
        s_keepingLargeBuffers = true;
        return trim && mmap;
    }

    /// <summary>Whether <see cref="KeepLargeBuffers"/> has been called in this process.</summary>
    public static bool IsKeepingLargeBuffers => s_keepingLargeBuffers;

    /// <summary>
    /// Returns the free pages of every glibc heap to the system (<c>malloc_trim(0)</c>), settings unchanged. Freed
    /// tensors of 128 KiB … 32 MiB stay on glibc's heaps once its dynamic mmap threshold has risen past them, in holes
    /// between live allocations that its automatic trimming at the top of a heap never reaches; across repeated runs
    /// those holes add up, so the resident set of repeated runs climbs well past one run's peak
    /// (<c>docs/performance.md</c>). The pages of the next run's buffers are mapped again on first use.
    /// </summary>
    /// <returns>True when glibc returned memory; false when it had none to return, or the C library is not glibc (nothing is done).</returns>
    public static bool ReleaseFreedMemory() => IsSupported && NativeMethods.malloc_trim(0) == 1;

    /// <summary>The end of a pipeline run: the release, unless the application chose to keep freed buffers resident.</summary>
    internal static void ReleaseAfterRun()
    {
        if (!s_keepingLargeBuffers) ReleaseFreedMemory();
    }

    private static bool DetectGlibc()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            // Only glibc exports gnu_get_libc_version; musl's mallopt exists but does nothing.
            return NativeMethods.gnu_get_libc_version() != IntPtr.Zero;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int mallopt(int param, int value);

        [DllImport("libc")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern IntPtr gnu_get_libc_version();

        [DllImport("libc")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int malloc_trim(nuint pad);
    }
}
