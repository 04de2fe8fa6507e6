using Diffusion.Net.Pipelines;
using Diffusion.Net.Samples.Cli;
using Diffusion.Net.Training;
using FluentAssertions;
using Xunit;

namespace Diffusion.Net.Samples.Tests;

/// <summary>The adapters from the library's IProgress reports to phases.</summary>
public sealed class ProgressReporterTests
{
    private readonly FakeClock _clock = new();
    private readonly StringWriter _log = new();

    private string[] Lines => _log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A report as <see cref="DiffusionTrainer"/> makes it: every 20 steps, and at each epoch's end.</summary>
    private static TrainingProgress At(int epoch, int step, bool completed = false, int epochs = 2, int stepsPerEpoch = 50)
        => new(epoch, epochs, step, stepsPerEpoch, (epoch - 1) * stepsPerEpoch + step, 0.12345, 1e-3, 640, TimeSpan.FromSeconds(6 * epoch), completed);

    [Fact]
    public void Training_PrintsTheEpochLines_AsTheProgramsAlwaysHave_AndCompletesAtTheLastEpoch()
    {
        var display = new PlainProgressDisplay(_log, _clock);
        using (var training = display.Training("training quick"))
        {
            foreach (var report in new[] { At(1, 20), At(1, 40), At(1, 50, true), At(2, 20), At(2, 40), At(2, 50, true) })
            {
                _clock.Advance(2);
                training.Report(report);
            }
        }

        Lines.Should().Contain("  epoch 1/2 step 50/50  loss 0.12345  lr 1.00e-3  640 img/s  00:06  (checkpoint)")
            .And.Contain("  epoch 2/2 step 50/50  loss 0.12345  lr 1.00e-3  640 img/s  00:12  (checkpoint)");
        Lines[0].Should().Be("  training quick: 50% (50/100 steps), 8.33 steps/s, ETA 0:06; epoch 1/2, loss 0.12345, 640 img/s",
            "the first report after 5 s (6 s since training began) prints the first line");
        Lines[^1].Should().Be("  training quick: 100% (100 steps) in 0:12, 8.33 steps/s; epoch 2/2, loss 0.12345, 640 img/s");
    }

    [Fact]
    public void Training_EpochLines_PastTheFirstHour_CountHours_InsteadOfWrappingTheMinutes()
    {
        var display = new PlainProgressDisplay(_log, _clock);
        using (var training = display.Training("training cs180"))
        {
            training.Report(new TrainingProgress(1, 10, 938, 938, 938, 0.12237, 7.94e-3, 66, new TimeSpan(0, 23, 5), true));
            training.Report(new TrainingProgress(3, 10, 938, 938, 2814, 0.10574, 5.01e-3, 94, new TimeSpan(1, 2, 55), true));
        }

        Lines.Should().Contain("  epoch 1/10 step 938/938  loss 0.12237  lr 7.94e-3  66 img/s  23:05  (checkpoint)")
            .And.Contain("  epoch 3/10 step 938/938  loss 0.10574  lr 5.01e-3  94 img/s  1:02:55  (checkpoint)");
    }

    [Fact]
    public void Training_ResumedAfterAnEpoch_CountsItAsDone_NotInTheRate()
    {
        var display = new PlainProgressDisplay(_log, _clock);
        using var training = display.Training("training quick");
        _clock.Advance(8);
        training.Report(At(2, 20));

        Lines.Should().ContainSingle().Which.Should().StartWith("  training quick: 70% (70/100 steps), 2.50 steps/s, ETA 0:12");
    }

    [Fact]
    public void Sampling_GivesEachRunItsOwnPhase_DatedFromTheRunsStart()
    {
        var display = new PlainProgressDisplay(_log, _clock);
        using (var sampling = display.Sampling("sampling 40 digits"))
        {
            for (int run = 0; run < 2; run++)
            {
                _clock.Advance(0.5);                    // between runs: not part of either
                for (int step = 1; step <= 10; step++)
                {
                    _clock.Advance(1);
                    sampling.Report(new DiffusionProgress(step, 10, 300 - step * 30, 300 - (step + 1) * 30, TimeSpan.FromSeconds(step), "denoise", step));
                }
            }
        }

        var completed = Lines.Where(l => l.Contains("100%", StringComparison.Ordinal)).ToList();
        completed.Should().HaveCount(2);
        completed.Should().AllSatisfy(l => l.Should().Be("  sampling 40 digits: 100% (10 steps) in 0:10, 1.00 steps/s; t=0"));
    }

    [Fact]
    public void Into_MovesALargerPhase_ByTheRunsShareOfItsUnits()
    {
        var display = new PlainProgressDisplay(_log, _clock);
        using var evaluation = display.Begin("evaluation: sampling", 200, "digits");
        var secondBatch = SamplingProgressReporter.Into(evaluation, offset: 100, size: 100);

        secondBatch.Report(new DiffusionProgress(5, 10, 150, 120, TimeSpan.FromSeconds(1), "denoise", 5));

        evaluation.Done.Should().Be(150);
        evaluation.Fraction.Should().Be(0.75);
    }
}
