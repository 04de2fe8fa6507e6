namespace Diffusion.Net.Samples.Cli;

/// <summary>
/// One long phase of a program (a training run, a sampling run, an evaluation): how much is done of how much, since
/// when, and what that makes the rate and the time left. Thread-safe: the library reports from its worker thread while a
/// live display reads from its refresh thread.
/// </summary>
internal abstract class ProgressPhase : IDisposable
{
    private readonly object _lock = new();
    private readonly TimeProvider _clock;
    private readonly long _started;
    private readonly double _initial;
    private double _done;
    private string? _detail;
    private bool _completed;
    private bool _disposed;

    /// <param name="description">What the phase does, as shown before its bar or line.</param>
    /// <param name="total">Units in the whole phase; null when the amount of work is not known (no percentage, no ETA).</param>
    /// <param name="unit">The plural name of a unit ("steps", "digits").</param>
    /// <param name="initial">Units already done before this run (a resumed training): counted as done, not in the rate.</param>
    /// <param name="clock">The time source (a fake one in tests).</param>
    /// <param name="startedAt">When the work began, as a <see cref="TimeProvider.GetTimestamp"/> value; now when null.</param>
    protected ProgressPhase(string description, double? total, string unit, double initial, TimeProvider clock, long? startedAt)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        if (total is { } t && !(t >= 0 && double.IsFinite(t))) throw new ArgumentOutOfRangeException(nameof(total), total, "The total must be finite and ≥ 0.");
        Description = description;
        Total = total;
        Unit = unit;
        _clock = clock;
        _started = startedAt ?? clock.GetTimestamp();
        _initial = initial;
        _done = initial;
    }

    /// <summary>What the phase does.</summary>
    public string Description { get; }

    /// <summary>Units in the whole phase, or null when unknown.</summary>
    public double? Total { get; }

    /// <summary>The plural name of a unit.</summary>
    public string Unit { get; }

    /// <summary>Units done so far (including those done before this run).</summary>
    public double Done { get { lock (_lock) return _done; } }

    /// <summary>The latest detail text (for example the loss), or null.</summary>
    public string? Detail { get { lock (_lock) return _detail; } }

    /// <summary>Whether <see cref="Complete"/> was called.</summary>
    public bool IsCompleted { get { lock (_lock) return _completed; } }

    /// <summary>Wall time since the phase began.</summary>
    public TimeSpan Elapsed => _clock.GetElapsedTime(_started);

    /// <summary>The fraction done in [0, 1], or null when the total is unknown.</summary>
    public double? Fraction
    {
        get
        {
            lock (_lock) return Total is not { } total ? null : total == 0 ? 1 : Math.Clamp(_done / total, 0, 1);
        }
    }

    /// <summary>Units per second done by this run (units done before it excluded), or null before the first unit.</summary>
    public double? Rate
    {
        get
        {
            double seconds = Elapsed.TotalSeconds;
            lock (_lock) return _done > _initial && seconds > 0 ? (_done - _initial) / seconds : null;
        }
    }

    /// <summary>The time left at the current rate, or null when the rate or the total is unknown.</summary>
    public TimeSpan? Remaining
    {
        get
        {
            if (Total is not { } total || Rate is not { } rate || rate <= 0) return null;
            double left = Math.Max(0, total - Done) / rate;
            return left < TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.FromSeconds(left) : null;
        }
    }

    /// <summary>Sets the units done (clamped to the total) and, when given, the detail text.</summary>
    public void Report(double done, string? detail = null)
    {
        lock (_lock)
        {
            if (_completed || _disposed) return;
            _done = Total is { } total ? Math.Min(done, total) : done;
            if (detail is not null) _detail = detail;
        }
        OnReported();
    }

    /// <summary>Adds <paramref name="units"/> to the units done.</summary>
    public void Advance(double units = 1, string? detail = null)
    {
        double done;
        lock (_lock) done = _done + units;
        Report(done, detail);
    }

    /// <summary>Marks the phase done (all of the total); reports after this are ignored.</summary>
    public void Complete(string? detail = null)
    {
        lock (_lock)
        {
            if (_completed || _disposed) return;
            if (Total is { } total) _done = total;
            if (detail is not null) _detail = detail;
            _completed = true;
        }
        OnCompleted();
    }

    /// <summary>Ends the phase; one that was not completed (an exception, a cancellation) is dropped without a 100 % line.</summary>
    public void Dispose()
    {
        bool abandoned;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            abandoned = !_completed;
        }
        OnEnded(abandoned);
    }

    /// <summary>Called after every accepted report, outside the lock.</summary>
    protected abstract void OnReported();

    /// <summary>Called once when the phase completes.</summary>
    protected abstract void OnCompleted();

    /// <summary>Called once when the phase is disposed; <paramref name="abandoned"/> when it never completed.</summary>
    protected virtual void OnEnded(bool abandoned)
    {
    }
}
