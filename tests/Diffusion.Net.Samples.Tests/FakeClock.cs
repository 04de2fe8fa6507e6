namespace Diffusion.Net.Samples.Tests;

/// <summary>A clock that moves only when told, for progress tests that must not depend on the machine's speed.</summary>
internal sealed class FakeClock : TimeProvider
{
    private long _ticks;

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc />
    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(GetTimestamp());

    /// <summary>Moves the clock forward.</summary>
    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

    /// <summary>Moves the clock forward by <paramref name="seconds"/>.</summary>
    public void Advance(double seconds) => Advance(TimeSpan.FromSeconds(seconds));
}
