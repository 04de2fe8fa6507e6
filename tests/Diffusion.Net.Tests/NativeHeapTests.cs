using System.Globalization;
using System.Runtime.InteropServices;
using Diffusion.Net.Hosting;
using Diffusion.Net.Tests.Support;
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
        NativeHeap.IsSupported.Should().Be(File.Exists("/proc/self/maps") && File.ReadAllText("/proc/self/maps").Contains("libc.so.6"),
            "glibc is libc.so.6");
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

    private static long Drop(Dictionary<string, string> child) =>
        long.Parse(child["before"], CultureInfo.InvariantCulture) - long.Parse(child["after"], CultureInfo.InvariantCulture);

    private static Dictionary<string, string> RunChild(string mode) =>
        TestChildProcess.Run("--native-heap", mode, "the child runs a 4-step pipeline on an 8×8 image");

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
