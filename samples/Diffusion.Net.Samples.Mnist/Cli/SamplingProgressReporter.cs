using System.Globalization;
using Diffusion.Net.Pipelines;

namespace Diffusion.Net.Samples.Cli;

/// <summary>
/// Pipeline runs' <see cref="DiffusionProgress"/> reports as phases in sampler steps: a run's phase begins at its first
/// report (dated back by the run's elapsed time, so its rate is right), a report whose step does not follow the last
/// one starts the next run's phase, and the last step completes it.
/// </summary>
internal sealed class SamplingProgressReporter : IProgress<DiffusionProgress>, IDisposable
{
    private readonly ProgressDisplay _display;
    private readonly string _description;
    private ProgressPhase? _phase;
    private int _lastStep;

    public SamplingProgressReporter(ProgressDisplay display, string description)
    {
        _display = display;
        _description = description;
    }

    /// <inheritdoc />
    public void Report(DiffusionProgress value)
    {
        if (_phase is null || value.Step <= _lastStep || _phase.IsCompleted)
        {
            _phase?.Dispose();
            var clock = _display.Clock;
            long started = clock.GetTimestamp() - (long)(value.Elapsed.TotalSeconds * clock.TimestampFrequency);
            _phase = _display.Begin(_description, value.TotalSteps, "steps", startedAt: started);
        }
        _lastStep = value.Step;
        _phase.Report(value.Step, string.Create(CultureInfo.InvariantCulture, $"t={value.Timestep:0.###}"));
        if (value.Step >= value.TotalSteps) _phase.Complete();
    }

    /// <summary>
    /// Reports of runs that are parts of a larger phase: a run's fraction done, times <paramref name="size"/> units, is
    /// added to <paramref name="offset"/> (an evaluation of 200 digits in batches of 100 moves by digits, not by run).
    /// </summary>
    public static IProgress<DiffusionProgress> Into(ProgressPhase phase, double offset, double size) => new PartOf(phase, offset, size);

    /// <summary>Ends the last run's phase.</summary>
    public void Dispose() => _phase?.Dispose();

    private sealed class PartOf(ProgressPhase phase, double offset, double size) : IProgress<DiffusionProgress>
    {
        public void Report(DiffusionProgress value) => phase.Report(offset + value.Fraction * size);
    }
}
