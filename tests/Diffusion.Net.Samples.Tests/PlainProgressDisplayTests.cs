using Diffusion.Net.Samples.Cli;
using FluentAssertions;
using Xunit;

namespace Diffusion.Net.Samples.Tests;

/// <summary>The redirected-output renderer: readable, unflooded lines for CI logs, on a fake clock.</summary>
public sealed class PlainProgressDisplayTests
{
    private readonly FakeClock _clock = new();
    private readonly StringWriter _log = new();

    private string[] Lines => _log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public void LongPhase_PrintsAFirstLine_ThenOnePerTenth_AndA100PercentLine()
    {
        var display = new PlainProgressDisplay(_log, _clock);
        using (var phase = display.Begin("training quick", 1000, "steps"))
        {
            for (int step = 10; step <= 1000; step += 10)
            {
                _clock.Advance(1);                      // 10 steps/s: 100 s in all
                phase.Report(step, $"loss {1.0 / step:0.0000}");
            }
            phase.Complete();
        }

        Lines.Should().HaveCount(11, "a first line at 5 s (5%), then 10%, 20%, …, 90%, then the 100% line");
        Lines[0].Should().Be("training quick: 5% (50/1000 steps), 10.0 steps/s, ETA 1:35; loss 0.0200");
        Lines[1].Should().StartWith("training quick: 10% (100/1000 steps), 10.0 steps/s, ETA 1:30");
        Lines[9].Should().StartWith("training quick: 90% (900/1000 steps)");
        Lines[10].Should().Be("training quick: 100% (1000 steps) in 1:40, 10.0 steps/s; loss 0.0010");
        _log.ToString().Should().StartWith("  ", "detail lines are indented like the programs' other lines");
    }

    [Fact]
    public void ShortPhase_PrintsNothing()
    {
        var display = new PlainProgressDisplay(_log, _clock);
        using (var phase = display.Begin("sampling 40 digits", 10, "steps"))
        {
            for (int step = 1; step <= 10; step++)
            {
                _clock.Advance(0.3);
                phase.Report(step);
            }
            phase.Complete();
        }

        _log.ToString().Should().BeEmpty("a 3-second run needs no log");
    }

    [Fact]
    public void FastTenths_AreThinned_ToOneLinePerQuietPeriod()
    {
        var display = new PlainProgressDisplay(_log, _clock);
        using var phase = display.Begin("evaluation: sampling", 100, "digits");
        _clock.Advance(5);
        phase.Report(1);                                // the first line, at 5 s
        for (int done = 2; done <= 99; done++)
        {
            _clock.Advance(0.25);                       // every tenth is passed within 2.5 s
            phase.Report(done);
        }

        Lines.Length.Should().BeInRange(4, 6, "24.5 s of tenths at most one line per 5 s");
    }

    [Fact]
    public void SlowPhase_PrintsAHeartbeat_BetweenTenths()
    {
        var display = new PlainProgressDisplay(_log, _clock, heartbeat: TimeSpan.FromSeconds(60));
        using var phase = display.Begin("training cs180", 100_000, "steps");
        for (int minute = 1; minute <= 5; minute++)
        {
            for (int i = 0; i < 6; i++)
            {
                _clock.Advance(10);
                phase.Advance(10);                      // 1 step/s: a tenth every 2.8 h
            }
        }

        Lines.Should().HaveCount(5, "the first line at 10 s, then one a minute");
        Lines[^1].Should().Be("training cs180: 0% (250/100000 steps), 1.00 steps/s, ETA 27:42:30");
    }

    [Fact]
    public void ResumedRun_CountsEarlierWork_AsDone_ButNotInTheRate()
    {
        var display = new PlainProgressDisplay(_log, _clock);
        using var phase = display.Begin("training quick", 1000, "steps", initial: 600);
        _clock.Advance(10);
        phase.Report(650);

        Lines.Should().ContainSingle().Which.Should().Be("training quick: 65% (650/1000 steps), 5.00 steps/s, ETA 1:10");
    }

    [Fact]
    public void UnknownTotal_ShowsTheCountAndElapsedTime()
    {
        var display = new PlainProgressDisplay(_log, _clock);
        using var phase = display.Begin("downloading", null, "files");
        _clock.Advance(6);
        phase.Report(2);

        Lines.Should().ContainSingle().Which.Should().Be("downloading: 2 files, 0:06 elapsed");
    }

    [Fact]
    public void AbandonedPhase_PrintsNo100PercentLine()
    {
        var display = new PlainProgressDisplay(_log, _clock);
        using (var phase = display.Begin("training quick", 1000, "steps"))
        {
            _clock.Advance(6);
            phase.Report(100);
        }                                               // disposed without Complete: the run failed or was cancelled

        Lines.Should().ContainSingle().Which.Should().Contain("10%");
    }

    [Fact]
    public void ReportsAfterCompletion_AreIgnored()
    {
        var display = new PlainProgressDisplay(_log, _clock);
        var phase = display.Begin("x", 10, "steps");
        phase.Report(5);
        phase.Complete();
        phase.Report(3);

        phase.Done.Should().Be(10);
        phase.Fraction.Should().Be(1);
    }
}
