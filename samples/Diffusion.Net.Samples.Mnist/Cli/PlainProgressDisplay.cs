namespace Diffusion.Net.Samples.Cli;

/// <summary>
/// Progress as plain lines for redirected output (CI logs, files): a first line (with an ETA) once a phase has run for
/// <see cref="ProgressDisplay.QuietPeriod"/>, then a line when it passes each tenth of its total (at most one per quiet
/// period), a heartbeat line after <c>heartbeat</c> without one, and a 100 % line at the end; phases shorter than the
/// quiet period print nothing. Spectre's own fallback renderer prints a
/// few "NN%" lines and never 100 %, hence this renderer.
/// </summary>
internal sealed class PlainProgressDisplay : ProgressDisplay
{
    private readonly TextWriter _writer;
    private readonly TimeSpan _heartbeat;

    /// <param name="writer">Where the lines go (the process's standard output, or standard error for the benchmarks).</param>
    /// <param name="clock">The time source.</param>
    /// <param name="heartbeat">The longest silence of a phase in progress (default one minute).</param>
    public PlainProgressDisplay(TextWriter writer, TimeProvider clock, TimeSpan? heartbeat = null)
        : base(clock)
    {
        _writer = writer;
        _heartbeat = heartbeat ?? TimeSpan.FromMinutes(1);
    }

    /// <inheritdoc />
    public override ProgressPhase Begin(string description, double? total, string unit, double initial = 0, long? startedAt = null)
        => new PlainPhase(this, description, total, unit, initial, startedAt);

    /// <inheritdoc />
    public override void WriteLine(string line)
    {
        lock (_writer)
        {
            _writer.WriteLine(line);
            _writer.Flush();
        }
    }

    private sealed class PlainPhase(PlainProgressDisplay display, string description, double? total, string unit, double initial, long? startedAt)
        : ProgressPhase(description, total, unit, initial, display.Clock, startedAt)
    {
        private readonly object _gate = new();
        private TimeSpan _lastLine;
        private int _nextTenth = NextTenth(initial, total);
        private bool _printed;

        protected override void OnReported()
        {
            string? line = null;
            lock (_gate)
            {
                var now = Elapsed;
                bool tenth = Fraction is { } f && f * 10 >= _nextTenth && f < 1;
                bool first = !_printed && now >= QuietPeriod;
                if (first || (tenth && now - _lastLine >= QuietPeriod) || now - _lastLine >= display._heartbeat)
                {
                    line = ProgressText.InProgress(this);
                    _lastLine = now;
                    _printed = true;
                    if (Fraction is { } g) _nextTenth = (int)Math.Floor(g * 10 + 1e-9) + 1;
                }
            }
            if (line is not null) display.WriteLine(line);
        }

        protected override void OnCompleted()
        {
            bool print;
            lock (_gate) print = _printed || Elapsed >= QuietPeriod;
            if (print) display.WriteLine(ProgressText.Completed(this));
        }

        private static int NextTenth(double initial, double? total)
            => total is > 0 ? (int)Math.Floor(initial / total.Value * 10 + 1e-9) + 1 : 1;
    }
}
