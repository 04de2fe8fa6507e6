using System.Diagnostics;
using Diffusion.Net.Training;

namespace Diffusion.Net.Benchmarks.Peers;

/// <summary>
/// Takes the time of every training step from the trainer's progress reports (with <c>ProgressEvery = 1</c> the
/// trainer reports once per step, after the optimizer step and the loss read-back), synchronously on the training thread.
/// </summary>
internal sealed class TrainingStepClock : IProgress<TrainingProgress>
{
    private readonly List<long> _stamps = [];

    public void Report(TrainingProgress value) => _stamps.Add(Stopwatch.GetTimestamp());

    /// <summary>The seconds of each step after the first <paramref name="skip"/> (at least one: its end starts the clock).</summary>
    public List<double> StepSeconds(int skip)
    {
        if (skip < 1) throw new ArgumentOutOfRangeException(nameof(skip), skip, "The first timed step needs an earlier step's end.");
        var seconds = new List<double>();
        for (int i = skip; i < _stamps.Count; i++) seconds.Add(Stopwatch.GetElapsedTime(_stamps[i - 1], _stamps[i]).TotalSeconds);
        return seconds;
    }
}
