using System.Runtime.InteropServices;

namespace Diffusion.Net.Hosting;

/// <summary>
/// The C heap that libtorch allocates CPU tensors from: glibc's malloc on Linux, or the allocator the application
/// preloaded (<see cref="Allocator"/>). <see cref="KeepLargeBuffers"/> is
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
/// back after the peak. Over repeated forward passes glibc's heap also fragments: freed activations leave holes that
/// small live allocations split, and the resident set climbs to about twice one pass's before it levels off. A
/// long-running service started with TCMalloc preloaded (<c>LD_PRELOAD</c>) avoids that at no cost in speed; jemalloc
/// does too, but faulted its freed pages in again on every pass and ran slower (<c>docs/performance.md</c>).
/// <see cref="ReleaseFreedMemory"/> serves all three.
/// </remarks>
public static class NativeHeap
{
    private const int MallocTrimThreshold = -1; // M_TRIM_THRESHOLD in glibc's malloc.h
    private const int MallocMmapThreshold = -3; // M_MMAP_THRESHOLD

    private static volatile bool s_keepingLargeBuffers;

    private static readonly Lazy<(NativeAllocator Kind, Delegate? Release)> s_allocator = new(DetectAllocator);

    /// <summary>The allocator that serves this process's <c>malloc</c>, found from the library that exports the <c>malloc</c> the process binds to.</summary>
    public static NativeAllocator Allocator => s_allocator.Value.Kind;

    /// <summary>Whether <see cref="KeepLargeBuffers"/> has an effect here: Linux with glibc's malloc as the process's allocator.</summary>
    public static bool IsSupported => Allocator == NativeAllocator.Glibc;

    /// <summary>
    /// <b>Process-wide and opt-in:</b> makes glibc's malloc serve requests up to <paramref name="maxBufferBytes"/>
    /// from its heap instead of a fresh <c>mmap</c> each, and keep up to that much freed memory at the top of a heap
    /// instead of returning it to the system, so that repeated large tensor allocations reuse mapped pages. It affects
    /// every allocation of the process from the call on, and it is never called by the library itself. Freed memory
    /// stays resident up to the peak. Threads other than the process's first one usually allocate from glibc's
    /// per-thread heaps, which hold at most 64 MiB: their larger requests still get an <c>mmap</c> each.
    /// </summary>
    /// <param name="maxBufferBytes">The largest request served from the heap, and the free memory a heap keeps; 1 MiB … 2 GiB − 1 (default 256 MiB).</param>
    /// <returns>True when glibc accepted both settings; false where the process's allocator is not glibc's (Windows, macOS, musl, or another allocator preloaded), where nothing is changed.</returns>
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

    /// <summary>Whether <see cref="KeepLargeBuffers"/> has been called in this process and applied (glibc's malloc only).</summary>
    public static bool IsKeepingLargeBuffers => s_keepingLargeBuffers;

    /// <summary>
    /// Returns the allocator's free pages to the system, settings unchanged: glibc's <c>malloc_trim(0)</c>, TCMalloc's
    /// <c>MallocExtension_ReleaseFreeMemory()</c> or a purge of every jemalloc arena (<see cref="Allocator"/>). Freed
    /// tensors of 128 KiB … 32 MiB stay on glibc's heaps once its dynamic mmap threshold has risen past them, in holes
    /// between live allocations that its automatic trimming at the top of a heap never reaches; across repeated runs
    /// those holes add up, so the resident set of repeated runs climbs well past one run's peak
    /// (<c>docs/performance.md</c>). The other two also keep freed pages for reuse and return them only over time. The
    /// pages of the next run's buffers are mapped again on first use.
    /// </summary>
    /// <returns>
    /// True when glibc returned memory or the other allocator was asked to (TCMalloc does not say how much); false
    /// when glibc had none to return, jemalloc refused, or the allocator is <see cref="NativeAllocator.Other"/>
    /// (nothing is done).
    /// </returns>
    public static bool ReleaseFreedMemory()
    {
        var (kind, release) = s_allocator.Value;
        switch (kind)
        {
            case NativeAllocator.Glibc:
                return NativeMethods.malloc_trim(0) == 1;
            case NativeAllocator.TCMalloc:
                ((ReleaseFreeMemoryFunction)release!)();
                return true;
            case NativeAllocator.Jemalloc:
                // MALLCTL_ARENAS_ALL (4096) names every arena at once; mallctl returns 0 on success.
                return ((MallctlFunction)release!)("arena.4096.purge", IntPtr.Zero, IntPtr.Zero, IntPtr.Zero, 0) == 0;
            default:
                return false;
        }
    }

    /// <summary>The end of a pipeline run: the release, unless the application chose to keep freed buffers resident.</summary>
    internal static void ReleaseAfterRun()
    {
        if (!s_keepingLargeBuffers) ReleaseFreedMemory();
    }

    /// <summary>
    /// The library that defines the <c>malloc</c> this process binds to (a preloaded one comes before libc in the
    /// lookup order), and that allocator's release entry point.
    /// </summary>
    private static (NativeAllocator, Delegate?) DetectAllocator()
    {
        (NativeAllocator, Delegate?) other = (NativeAllocator.Other, null);
        if (!OperatingSystem.IsLinux()) return other;
        try
        {
            // Only glibc exports gnu_get_libc_version; musl's mallopt exists but does nothing.
            if (NativeMethods.gnu_get_libc_version() == IntPtr.Zero) return other;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return other;
        }
        // dladdr is in libc since glibc 2.34 and in libdl before it.
        IntPtr dladdrEntry = IntPtr.Zero;
        bool found = false;
        foreach (var name in (string[])["libc.so.6", "libdl.so.2"])
            if (NativeLibrary.TryLoad(name, out var handle) && NativeLibrary.TryGetExport(handle, "dladdr", out dladdrEntry))
            {
                found = true;
                break;
            }
        if (!found || !NativeLibrary.TryGetExport(NativeLibrary.GetMainProgramHandle(), "malloc", out var malloc))
            return other;
        var dladdr = Marshal.GetDelegateForFunctionPointer<DladdrFunction>(dladdrEntry);
        if (dladdr(malloc, out var info) == 0 || info.FileName == IntPtr.Zero) return other;
        var path = Marshal.PtrToStringUTF8(info.FileName) ?? "";
        var file = Path.GetFileName(path);
        if (file.StartsWith("libc.so", StringComparison.Ordinal) || file.StartsWith("libc-", StringComparison.Ordinal))
            return (NativeAllocator.Glibc, null);
        var (kind, entry) = file.StartsWith("libtcmalloc", StringComparison.Ordinal) ? (NativeAllocator.TCMalloc, "MallocExtension_ReleaseFreeMemory")
            : file.StartsWith("libjemalloc", StringComparison.Ordinal) ? (NativeAllocator.Jemalloc, "mallctl")
            : (NativeAllocator.Other, null);
        // The library is the process's allocator, already loaded; this handle only adds a reference.
        if (entry is null || !NativeLibrary.TryLoad(path, out var library) || !NativeLibrary.TryGetExport(library, entry, out var release))
            return other;
        return kind == NativeAllocator.TCMalloc
            ? (kind, Marshal.GetDelegateForFunctionPointer<ReleaseFreeMemoryFunction>(release))
            : (kind, Marshal.GetDelegateForFunctionPointer<MallctlFunction>(release));
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int DladdrFunction(IntPtr address, out DlInfo info);

    /// <summary>gperftools' <c>void MallocExtension_ReleaseFreeMemory(void)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void ReleaseFreeMemoryFunction();

    /// <summary>jemalloc's <c>int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)</c>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int MallctlFunction([MarshalAs(UnmanagedType.LPUTF8Str)] string name, IntPtr oldp, IntPtr oldlenp, IntPtr newp, nuint newlen);

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

    /// <summary>glibc's Dl_info.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct DlInfo
    {
        public IntPtr FileName;
        public IntPtr FileBase;
        public IntPtr SymbolName;
        public IntPtr SymbolAddress;
    }
}
