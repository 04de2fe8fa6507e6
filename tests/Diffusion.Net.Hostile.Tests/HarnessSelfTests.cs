using Diffusion.Net.Hostile.Tests.Harness;
using FluentAssertions;
using Xunit;

namespace Diffusion.Net.Hostile.Tests;

/// <summary>The corpus runner's limits work: each kind of failure is caught, blamed on its case, and the batch continues.</summary>
public sealed class HarnessSelfTests
{
    [Fact]
    public void CrashHangAndMemoryBombs_AreCaught_AndTheBatchGoesOn()
    {
        var runner = new CorpusRunner { CaseTimeout = TimeSpan.FromSeconds(10), MemoryLimitBytes = 1L << 30, Parallelism = 1 };
        var results = runner.Run(["selftest-fine", "selftest-crash", "selftest-hang", "selftest-native-memory", "selftest-managed-memory", "selftest-fine"]);
        results["selftest-crash"].Outcome.Should().Be("crash");
        results["selftest-hang"].Outcome.Should().Be("hang");
        results["selftest-native-memory"].Outcome.Should().Be("memory");
        // The managed heap is capped at the same limit inside the child: the bomb ends as OutOfMemory there, or is
        // killed for memory, or (a GC thrashing at the cap on a loaded machine) for time; in every case the run survives.
        results["selftest-managed-memory"].Should().Match<CaseResult>(r => r.Outcome == "memory" || r.Outcome == "hang" || r.Is("OutOfMemoryException"));
        results["selftest-fine"].Outcome.Should().Be("ok");
    }
}
