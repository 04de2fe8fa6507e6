using Spectre.Console;

namespace Diffusion.Net.Samples.Cli;

/// <summary>
/// Live Spectre.Console bars in a terminal: description, bar, percentage, then count, rate, ETA and the phase's detail.
/// While it runs, <see cref="Console.Out"/> is forwarded above the bars (<see cref="ConsoleLineForwarder"/>), so the
/// program's result lines keep their place; a finished phase leaves one summary line when it took more than
/// <see cref="ProgressDisplay.QuietPeriod"/>.
/// </summary>
internal sealed class LiveProgressDisplay : ProgressDisplay
{
    private readonly ProgressContext _context;
    private readonly ConsoleLineForwarder _lines;

    private LiveProgressDisplay(ProgressContext context, ConsoleLineForwarder lines, TimeProvider clock)
        : base(clock)
    {
        _context = context;
        _lines = lines;
    }

    /// <summary>Runs <paramref name="body"/> with live bars on <paramref name="console"/> (a terminal).</summary>
    public static async Task<int> RunAsync(IAnsiConsole console, TimeProvider clock, Func<ProgressDisplay, Task<int>> body)
    {
        var original = Console.Out;
        using var lines = new ConsoleLineForwarder(console);
        Console.SetOut(lines);
        try
        {
            var progress = new Progress(console, clock)
            {
                AutoClear = true,
                HideCompleted = true,
                RefreshRate = TimeSpan.FromMilliseconds(250),
            }.Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 24 }, new PercentageColumn(), new PhaseStatusColumn());
            return await progress.StartAsync(async context =>
            {
                try
                {
                    return await body(new LiveProgressDisplay(context, lines, clock)).ConfigureAwait(false);
                }
                finally
                {
                    lines.Drain();
                }
            }).ConfigureAwait(false);
        }
        finally
        {
            Console.SetOut(original);
        }
    }

    /// <inheritdoc />
    public override ProgressPhase Begin(string description, double? total, string unit, double initial = 0, long? startedAt = null)
    {
        var task = _context.AddTask(Markup.Escape(description), new ProgressTaskSettings { AutoStart = true, MaxValue = total is > 0 ? total.Value : 1 });
        task.IsIndeterminate = total is null;
        var phase = new LivePhase(this, task, description, total, unit, initial, startedAt);
        task.Tag = phase;
        task.Value = total is > 0 ? Math.Min(initial, total.Value) : 0;
        return phase;
    }

    /// <inheritdoc />
    public override void WriteLine(string line) => _lines.WriteLine(line);

    private sealed class LivePhase(LiveProgressDisplay display, ProgressTask task, string description, double? total, string unit, double initial, long? startedAt)
        : ProgressPhase(description, total, unit, initial, display.Clock, startedAt)
    {
        protected override void OnReported()
        {
            if (Total is > 0) task.Value = Done;
        }

        protected override void OnCompleted()
        {
            task.Value = task.MaxValue;
            task.StopTask();
            if (Elapsed >= QuietPeriod) display.WriteLine(ProgressText.Completed(this));
        }

        protected override void OnEnded(bool abandoned)
        {
            if (abandoned) display._context.RemoveTask(task);
        }
    }
}
