using Diffusion.Net.Hostile.Tests.Corpus;
using Diffusion.Net.Hostile.Tests.Harness;
using FluentAssertions;
using Xunit;

namespace Diffusion.Net.Hostile.Tests;

/// <summary>
/// Every corpus case (mutations of valid inputs for each public loader and the pipeline API, plus the hand-made
/// reproductions of issue 20's defects, ids D01 … D15) ran in a child process with a 30 s and 2 GB limit; each
/// one is a test here. A crash, hang or memory bomb fails its case, never the run.
/// </summary>
public sealed class HostileCorpusTests(CorpusFixture corpus) : IClassFixture<CorpusFixture>
{
    public static TheoryData<string> CaseIds()
    {
        var data = new TheoryData<string>();
        foreach (var c in HostileCorpus.All) data.Add(c.Id);
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseIds))]
    public void Case_EndsAsRequired_WithoutCrashHangBombUntypedErrorOrNaN(string id)
    {
        var c = HostileCorpus.All.Single(x => x.Id == id);
        CorpusFixture.Verdict(c, corpus.Results.GetValueOrDefault(id)).Should().BeNull($"case {id} ({c.Target}, expected {c.Expect}) must end as required");
    }

    [Fact]
    public void Corpus_HasAtLeast1000Cases_CoveringEveryDefectOfTheIssue()
    {
        var ids = HostileCorpus.All.Select(c => c.Id).ToList();
        ids.Should().OnlyHaveUniqueItems();
        ids.Count.Should().BeGreaterThanOrEqualTo(1000);
        // #15 (atomic writers) is covered by WriterKillTests; every other defect has hand-made cases here.
        for (int d = 1; d <= 14; d++) ids.Should().Contain(i => i.StartsWith($"D{d:D2}-", StringComparison.Ordinal), $"defect #{d} needs a regression case");
        corpus.Results.Count.Should().Be(ids.Count, "every case reported");
        File.Exists(corpus.ReportPath).Should().BeTrue();
    }
}
