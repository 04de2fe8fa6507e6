namespace Diffusion.Net.Samples.Cli;

/// <summary>
/// Where a program shows its long phases: live bars in a terminal (<see cref="LiveProgressDisplay"/>), plain periodic
/// lines when the output goes to a file or a CI log (<see cref="PlainProgressDisplay"/>). The library reports through
/// <see cref="IProgress{T}"/>; <see cref="Training"/> and <see cref="Sampling"/> adapt those reports to phases.
/// </summary>
internal abstract class ProgressDisplay
{
    /// <summary>Phases shorter than this print no lines of their own: a two-second run needs no log.</summary>
    public static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(5);

    protected ProgressDisplay(TimeProvider clock) => Clock = clock;

    /// <summary>The time source of every phase.</summary>
    public TimeProvider Clock { get; }

    /// <summary>Starts a phase; dispose it when the work ends (complete it first when the work succeeded).</summary>
    /// <param name="description">What the phase does.</param>
    /// <param name="total">Units in the whole phase, or null when unknown.</param>
    /// <param name="unit">The plural name of a unit.</param>
    /// <param name="initial">Units done before this run (excluded from the rate).</param>
    /// <param name="startedAt">When the work began (<see cref="TimeProvider.GetTimestamp"/>), for a phase begun at its first report.</param>
    public abstract ProgressPhase Begin(string description, double? total, string unit, double initial = 0, long? startedAt = null);

    /// <summary>Writes a line of output (above the live bars, or in order with the plain lines).</summary>
    public abstract void WriteLine(string line);

    /// <summary>Library log messages (MNIST download and the like), indented as the program's other detail lines.</summary>
    public IProgress<string> Log => new LogLines(this);

    /// <summary>A training run's reports as a phase in steps, with a line per completed epoch.</summary>
    public TrainingProgressReporter Training(string description) => new TrainingProgressReporter(this, description);

    /// <summary>Sampling runs' reports as one phase per run, in sampler steps.</summary>
    public SamplingProgressReporter Sampling(string description) => new SamplingProgressReporter(this, description);

    private sealed class LogLines(ProgressDisplay display) : IProgress<string>
    {
        public void Report(string value) => display.WriteLine("  " + value);
    }
}
