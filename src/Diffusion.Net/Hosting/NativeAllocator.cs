namespace Diffusion.Net.Hosting;

/// <summary>
/// The C allocator that serves this process's <c>malloc</c>, and so libtorch's CPU tensors
/// (<see cref="NativeHeap.Allocator"/>). On Linux it is glibc's unless the application was started with another one
/// preloaded (<c>LD_PRELOAD</c>), the only way to put one under libtorch.
/// </summary>
public enum NativeAllocator
{
    /// <summary>Not one of the others, or not found out (Windows, macOS, musl, or an allocator linked under another name).</summary>
    Other = 0,

    /// <summary>glibc's malloc: <see cref="NativeHeap.KeepLargeBuffers"/> tunes it; <see cref="NativeHeap.ReleaseFreedMemory"/> is <c>malloc_trim(0)</c>.</summary>
    Glibc,

    /// <summary>gperftools' TCMalloc (<c>libtcmalloc</c> or <c>libtcmalloc_minimal</c>): <see cref="NativeHeap.ReleaseFreedMemory"/> is <c>MallocExtension_ReleaseFreeMemory()</c>.</summary>
    TCMalloc,

    /// <summary>jemalloc (<c>libjemalloc</c>): <see cref="NativeHeap.ReleaseFreedMemory"/> purges every arena (<c>mallctl("arena.4096.purge")</c>).</summary>
    Jemalloc,
}
