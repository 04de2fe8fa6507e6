using System.Runtime.InteropServices;
using Diffusion.Net.Hosting;
using Diffusion.Net.Testing;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Diffusion.Net.Tests;

public sealed class MklDispatchTests
{
    [Fact]
    public void Prologue_DecodesTheRipRelativeCache_AndAnythingElseIsRefused()
    {
        byte[] code = [0x8B, 0x05, 0x1A, 0x67, 0x98, 0x09, 0x85, 0xC0, 0x78, 0x01, 0xC3];
        MklDispatch.TryReadCachedAnswerAddress(code, 0xbdc5670, out var answer).Should().BeTrue();
        answer.Should().Be((nint)0x1574bd90, "mov eax, [rip + 0x998671a] at 0xbdc5670 reads 0xbdc5676 + 0x998671a");

        byte[] negative = [0x8B, 0x05, 0xF0, 0xFF, 0xFF, 0xFF, 0x85, 0xC0, 0x78, 0x01, 0xC3];
        MklDispatch.TryReadCachedAnswerAddress(negative, 0x1000, out answer).Should().BeTrue();
        answer.Should().Be((nint)(0x1006 - 0x10));

        for (int i = 0; i < code.Length; i++)
        {
            if (i is >= 2 and < 6) continue;
            var changed = (byte[])code.Clone();
            changed[i] ^= 0x40;
            MklDispatch.TryReadCachedAnswerAddress(changed, 0x1000, out _).Should().BeFalse($"byte {i} differs");
        }
        MklDispatch.TryReadCachedAnswerAddress(code.AsSpan(0, 10), 0x1000, out _).Should().BeFalse("the prologue is cut short");
    }

    /// <summary>Called first in a fresh process, MKL takes the instruction-set path; its products stay float32-exact.</summary>
    [Fact]
    public void CalledFirst_MklTreatsTheCpuAsIntel_AndTheProductIsUnchanged()
    {
        if (!SupportedHere()) return;
        var child = RunChild("first");
        child["outcome"].Should().Be(IsIntel() ? nameof(MklDispatchOutcome.IntelCpu) : nameof(MklDispatchOutcome.Applied));
        child["cached-before-matmul"].Should().Be(IsIntel() ? "unasked" : "intel");
        child["cached-after-matmul"].Should().Be("intel");
        double.Parse(child["relative-error"], System.Globalization.CultureInfo.InvariantCulture).Should().BeLessThan(1e-5);
    }

    /// <summary>The option applies it when the runtime is created, before the runtime sets libtorch's threads.</summary>
    [Fact]
    public void TheRuntimeOption_AppliesIt()
    {
        if (!SupportedHere()) return;
        var child = RunChild("runtime");
        child["outcome"].Should().Be(IsIntel() ? nameof(MklDispatchOutcome.IntelCpu) : nameof(MklDispatchOutcome.Applied));
        child["cached-after-matmul"].Should().Be("intel");
    }

    [Fact]
    public void TheRuntimeOption_IsOffByDefault()
    {
        var services = new ServiceCollection();
        services.AddDiffusion();
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<DiffusionRuntime>().MklOutcome.Should().BeNull();
    }

    /// <summary>After MKL has decided, the call changes nothing and says so.</summary>
    [Fact]
    public void CalledAfterAMatrixProduct_ChangesNothing()
    {
        if (!SupportedHere()) return;
        var child = RunChild("after-matmul");
        child["cached-before-matmul"].Should().Be("unasked", "loading libtorch runs no MKL routine");
        child["cached-after-matmul"].Should().Be(IsIntel() ? "intel" : "not-intel");
        child["outcome"].Should().Be(IsIntel() ? nameof(MklDispatchOutcome.IntelCpu) : nameof(MklDispatchOutcome.AlreadyChosen));
        double.Parse(child["relative-error"], System.Globalization.CultureInfo.InvariantCulture).Should().BeLessThan(1e-5);
    }

    [Fact]
    public void ElsewhereThanLinuxX64_NothingIsChanged()
    {
        if (SupportedHere()) return;
        MklDispatch.IgnoreCpuVendor().Should().BeOneOf(MklDispatchOutcome.NotSupported, MklDispatchOutcome.IntelCpu);
    }

    private static bool SupportedHere() => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>The kernel's reading of the CPU vendor, independent of the CPUID the library reads.</summary>
    private static bool IsIntel() => File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("vendor_id", StringComparison.Ordinal)).EndsWith("GenuineIntel", StringComparison.Ordinal);

    private static Dictionary<string, string> RunChild(string order) =>
        TestChildProcess.Run("--mkl-dispatch", order, "the child finishes a small product");
}
