using Diffusion.Net.Hosting;
using FluentAssertions;
using Xunit;

namespace Diffusion.Net.Tests;

public sealed class CpuFeaturesTests
{
    /// <summary>The kernel's own reading of the CPU (its <c>flags</c> line) is an independent source for the same bits.</summary>
    [Fact]
    public void NativeBFloat16_MatchesTheKernelsCpuFlags()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/cpuinfo")) return;
        var flagsLine = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
        if (flagsLine is null) return; // not x86 (arm64 names the line "Features")
        var flags = flagsLine[(flagsLine.IndexOf(':', StringComparison.Ordinal) + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();

        CpuFeatures.HasNativeBFloat16.Should().Be(flags.Contains("avx512f") && flags.Contains("avx512_bf16"));
    }
}
