using System.Globalization;
using System.Runtime.InteropServices;
using Diffusion.Net.Hosting;
using Diffusion.Net.Testing;
using FluentAssertions;
using Xunit;

namespace Diffusion.Net.Tests;

public sealed class NativeHeapTests
{
    private const int Buffer = 40 << 20; // above glibc's largest dynamic mmap threshold (32 MiB), below its 64 MiB thread heaps

    [Fact]
    public void KeepLargeBuffers_RejectsSizesOutsideItsRange_BeforeTouchingTheHeap()
    {
        FluentActions.Invoking(() => NativeHeap.KeepLargeBuffers(1000)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => NativeHeap.KeepLargeBuffers(1L << 31)).Should().Throw<ArgumentOutOfRangeException>();
    }

    /// <remarks>
    /// This test changes its own test process's malloc settings (the only test that does): the other tests then run
    /// with large buffers kept on the heap, which changes their memory use, not their results.
    /// </remarks>
    [Fact]
    public void KeepLargeBuffers_ServesA40MBRequestFromTheHeapInsteadOfAFreshMapping()
    {
        if (!OperatingSystem.IsLinux())
        {
            NativeHeap.IsSupported.Should().BeFalse();
            NativeHeap.KeepLargeBuffers().Should().BeFalse("elsewhere it changes nothing");
            return;
        }
        bool glibc = File.Exists("/proc/self/maps") && File.ReadAllText("/proc/self/maps").Contains("libc.so.6");
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("LD_PRELOAD")))
        {
            NativeHeap.Allocator.Should().Be(glibc ? NativeAllocator.Glibc : NativeAllocator.Other, "nothing was preloaded, so malloc is the C library's");
            NativeHeap.IsSupported.Should().Be(glibc, "glibc is libc.so.6");
        }
        if (!NativeHeap.IsSupported) return;

        // What the call guarantees on every arena: a 40 MB request, above glibc's largest dynamic mmap threshold, now
        // comes from a heap instead of a fresh mmap. Whether the freed pages are then reused depends on what the other
        // test threads sharing that arena allocate and free in between (and a pool thread's own arena may hand a heap
        // back on free, the limitation NativeHeap documents), so reuse is measured where one process runs alone: the
        // peer benchmark's ours+heap side (docs/performance.md).
        NativeHeap.KeepLargeBuffers().Should().BeTrue();
        ChunkFlags().Should().NotHaveFlag(Chunk.Mapped, "the raised threshold applies to every arena: the buffer comes from a heap");
    }

    /// <summary>What the child leaves freed in holes: 15 of every 16 of its 4352 blocks of 60 KiB (239 MiB).</summary>
    private const long Holes = 4352L * 15 / 16 * (60 << 10);

    [Fact]
    public void ReleaseFreedMemory_ReturnsFreedHeapPagesToTheSystem()
    {
        if (!OperatingSystem.IsLinux())
        {
            NativeHeap.ReleaseFreedMemory().Should().BeFalse("elsewhere it does nothing");
            return;
        }
        if (!NativeHeap.IsSupported) return;
        var child = RunChild("release");
        child["released"].Should().Be("True");
        Drop(child).Should().BeGreaterThan(Holes / 2, "the holes' pages leave the resident set");
    }

    [Fact]
    public void APipelineRun_ReleasesFreedMemoryWhenItEnds_UnlessTheOptionOrKeepLargeBuffersSaysNot()
    {
        if (!OperatingSystem.IsLinux() || !NativeHeap.IsSupported) return;
        Drop(RunChild("run")).Should().BeGreaterThan(Holes / 2, "DiffusionRunOptions.ReleaseFreedMemory is on by default");
        Drop(RunChild("run-without")).Should().BeLessThan(Holes / 4, "the option turned off leaves the holes resident");
        Drop(RunChild("keep")).Should().BeLessThan(Holes / 4, "after KeepLargeBuffers freed buffers stay resident");
    }

    /// <summary>
    /// An application started with another allocator preloaded: the library finds it, and the release is that
    /// allocator's own (TCMalloc's <c>MallocExtension_ReleaseFreeMemory</c>, jemalloc's arena purge), at a pipeline
    /// run's end too; glibc's settings are left alone, since they would tune a heap nobody allocates from.
    /// </summary>
    [Theory]
    [InlineData("libtcmalloc_minimal.so.4", NativeAllocator.TCMalloc, "libtcmalloc-minimal4")]
    [InlineData("libjemalloc.so.2", NativeAllocator.Jemalloc, "libjemalloc2")]
    public void UnderAPreloadedAllocator_ReleaseIsThatAllocatorsOwn_AndKeepLargeBuffersChangesNothing(string library, NativeAllocator expected, string package)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64)) return;
        var path = Path.Combine("/usr/lib", RuntimeInformation.ProcessArchitecture == Architecture.X64 ? "x86_64-linux-gnu" : "aarch64-linux-gnu", library);
        File.Exists(path).Should().BeTrue($"this test preloads Debian's {library}; install it with: sudo apt-get install -y {package}");
        var preload = new Dictionary<string, string> { ["LD_PRELOAD"] = path };

        var released = RunChild("release", preload);
        released["allocator"].Should().Be(expected.ToString());
        released["supported"].Should().Be("False", "KeepLargeBuffers tunes glibc's malloc, which this process does not use");
        released["released"].Should().Be("True");
        Drop(released).Should().BeGreaterThan(Holes / 2, $"{expected}'s own release returns the freed blocks' pages");

        Drop(RunChild("run-without", preload)).Should().BeLessThan(Holes / 4, $"{expected} keeps freed pages by itself, so the drops here are the release's");
        Drop(RunChild("run", preload)).Should().BeGreaterThan(Holes / 2, "a pipeline run ends with the same release");
        var keep = RunChild("keep", preload);
        keep["kept"].Should().Be("False", "there is no glibc heap to tune");
        Drop(keep).Should().BeGreaterThan(Holes / 2, "a KeepLargeBuffers that changed nothing does not stop the release");
    }

    private static long Drop(Dictionary<string, string> child) =>
        long.Parse(child["before"], CultureInfo.InvariantCulture) - long.Parse(child["after"], CultureInfo.InvariantCulture);

    private static Dictionary<string, string> RunChild(string mode, IReadOnlyDictionary<string, string>? environment = null) =>
        TestChildProcess.Run("--native-heap", mode, "the child runs a 4-step pipeline on an 8×8 image", environment);

    [Flags]
    private enum Chunk
    {
        None = 0,
        Mapped = 2,     // glibc's IS_MMAPPED bit in the chunk's size word
        OtherArena = 4, // NON_MAIN_ARENA
    }

    /// <summary>The flag bits glibc keeps in the size word just before a fresh 40 MB allocation.</summary>
    private static Chunk ChunkFlags()
    {
        var p = Marshal.AllocHGlobal(Buffer);
        try
        {
            return (Chunk)(Marshal.ReadInt64(p, -8) & 0x6);
        }
        finally
        {
            Marshal.FreeHGlobal(p);
        }
    }
}
