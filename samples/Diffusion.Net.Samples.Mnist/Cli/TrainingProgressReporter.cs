using System.Globalization;
using Diffusion.Net.Training;

namespace Diffusion.Net.Samples.Cli;

/// <summary>
/// A training run's <see cref="TrainingProgress"/> reports as one phase in optimiser steps (epochs × steps per epoch),
/// begun at the first report so that a resumed run counts its earlier epochs as done, not in its rate; and, for every
/// completed epoch, the line the programs have always printed (loss, learning rate, images/s, checkpoint).
/// </summary>
internal sealed class TrainingProgressReporter : IProgress<TrainingProgress>, IDisposable
{
    private readonly ProgressDisplay _display;
    private readonly string _description;
    private readonly long _created;
    private ProgressPhase? _phase;

    public TrainingProgressReporter(ProgressDisplay display, string description)
    {
        _display = display;
        _description = description;
        _created = display.Clock.GetTimestamp();
    }

    /// <inheritdoc />
    public void Report(TrainingProgress value)
    {
        long total = (long)value.Epochs * value.StepsPerEpoch;
        long done = (long)(value.Epoch - 1) * value.StepsPerEpoch + value.Step;
        _phase ??= _display.Begin(_description, total, "steps", initial: (long)(value.Epoch - 1) * value.StepsPerEpoch, startedAt: _created);
        var detail = string.Create(CultureInfo.InvariantCulture, $"epoch {value.Epoch}/{value.Epochs}, loss {value.Loss:0.00000}, {value.ImagesPerSecond:0} img/s");
        _phase.Report(done, detail);
        if (!value.EpochCompleted) return;
        _display.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  epoch {value.Epoch}/{value.Epochs} step {value.Step}/{value.StepsPerEpoch}  loss {value.Loss:0.00000}  lr {value.LearningRate:0.00e0}  {value.ImagesPerSecond:0} img/s  {Clock(value.Elapsed)}  (checkpoint)"));
        if (value.Epoch == value.Epochs) _phase.Complete();
    }

    /// <summary>mm:ss as the lines always had it, and h:mm:ss from the first hour on (the minutes alone wrap at 60).</summary>
    private static string Clock(TimeSpan elapsed) => elapsed.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)elapsed.TotalHours}:{elapsed:mm\\:ss}")
        : elapsed.ToString("mm\\:ss", CultureInfo.InvariantCulture);

    /// <summary>Ends the phase (without a 100 % line if training stopped early).</summary>
    public void Dispose() => _phase?.Dispose();
}
