using System.Runtime.InteropServices;
using Diffusion.Net.Hosting;
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
    public void KeepLargeBuffers_MakesARepeatedLargeAllocationReuseMappedPages()
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

        // Marshal.AllocHGlobal is malloc on Unix; the page faults are counted for this thread alone.
        long before = FaultsOfRepeatedAllocation();
        before.Should().BeGreaterThan(Buffer / 4096 / 2, "without the setting each 40 MB buffer is a fresh mmap whose pages fault in again");
        NativeHeap.KeepLargeBuffers().Should().BeTrue();
        FaultsOfRepeatedAllocation(); // the first allocation after the call grows the heap once
        long after = FaultsOfRepeatedAllocation();
        after.Should().BeLessThan(before / 10, $"the freed buffer's pages stay mapped and are reused ({before} faults before, {after} after)");
    }

    /// <summary>Minor page faults of this thread over three allocate-touch-free rounds of a 40 MB buffer.</summary>
    private static long FaultsOfRepeatedAllocation()
    {
        long start = ThreadMinorFaults();
        for (int round = 0; round < 3; round++)
        {
            var p = Marshal.AllocHGlobal(Buffer);
            try
            {
                for (int offset = 0; offset < Buffer; offset += 4096) Marshal.WriteByte(p, offset, 1);
            }
            finally
            {
                Marshal.FreeHGlobal(p);
            }
        }
        return ThreadMinorFaults() - start;
    }

    /// <summary>Field 10 (minflt) of /proc/thread-self/stat, counted after the command name's closing parenthesis.</summary>
    private static long ThreadMinorFaults()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture);
    }
}
