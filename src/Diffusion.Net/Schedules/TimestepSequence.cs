namespace Diffusion.Net.Schedules;

/// <summary>
/// The timesteps a denoising loop walks, strictly descending, and what happens at the last entry.
/// </summary>
/// <remarks>
/// The previous timestep of entry i is entry i + 1 (a list lookup, as diffusers does for custom timesteps). After
/// the last entry the previous timestep is −1, whose ᾱ is 1. With <see cref="StepFromLast"/> true (diffusers'
/// pipelines, CS180 Part B) the loop also takes that final step to clean data; with it false (CS180 Part A's
/// <c>iterative_denoise</c>) the loop stops at the last entry and returns the state there.
/// </remarks>
public sealed class TimestepSequence : IEquatable<TimestepSequence>
{
    private readonly int[] _values;

    /// <summary>Creates a sequence; see <see cref="Timesteps"/> for the usual factories.</summary>
    /// <param name="values">Strictly descending, non-negative timesteps.</param>
    /// <param name="stepFromLast">Whether the loop takes a last step from the final entry to clean data.</param>
    /// <exception cref="ArgumentException">The list is empty, not strictly descending, or has a negative entry.</exception>
    public TimestepSequence(IEnumerable<int> values, bool stepFromLast = true)
    {
        ArgumentNullException.ThrowIfNull(values);
        _values = values.ToArray();
        if (_values.Length == 0) throw new ArgumentException("A timestep sequence needs at least one timestep.", nameof(values));
        for (int i = 0; i < _values.Length; i++)
        {
            if (_values[i] < 0) throw new ArgumentException($"Timestep {_values[i]} at index {i} is negative.", nameof(values));
            if (i > 0 && _values[i] >= _values[i - 1])
                throw new ArgumentException($"Timesteps must be strictly descending; index {i} holds {_values[i]} after {_values[i - 1]}.", nameof(values));
        }
        StepFromLast = stepFromLast;
        if (!stepFromLast && _values.Length < 2)
            throw new ArgumentException("A sequence that stops at its last entry needs at least two timesteps to take a step.", nameof(values));
    }

    /// <summary>The timesteps, descending.</summary>
    public IReadOnlyList<int> Values => _values;

    /// <summary>The number of entries.</summary>
    public int Count => _values.Length;

    /// <summary>Entry <paramref name="index"/>.</summary>
    public int this[int index] => _values[index];

    /// <summary>The first (largest) timestep: where denoising starts.</summary>
    public int First => _values[0];

    /// <summary>Whether the loop steps from the last entry to clean data (t = −1).</summary>
    public bool StepFromLast { get; }

    /// <summary>The number of denoising steps the loop takes.</summary>
    public int StepCount => StepFromLast ? _values.Length : _values.Length - 1;

    /// <summary>The previous timestep of entry <paramref name="index"/>: the next entry, or −1 after the last.</summary>
    public int Previous(int index)
    {
        if ((uint)index >= (uint)_values.Length)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Index must lie in [0, {_values.Length - 1}].");
        return index + 1 < _values.Length ? _values[index + 1] : -1;
    }

    /// <summary>The transitions the loop takes, in order: (index, t, previous t).</summary>
    public IEnumerable<(int Index, int Timestep, int Previous)> Steps()
    {
        for (int i = 0; i < StepCount; i++) yield return (i, _values[i], Previous(i));
    }

    /// <summary>The sequence from entry <paramref name="index"/> on (SDEdit's "start at i_start").</summary>
    /// <exception cref="ArgumentOutOfRangeException">No step would be left.</exception>
    public TimestepSequence From(int index)
    {
        int max = StepFromLast ? _values.Length - 1 : _values.Length - 2;
        if (index < 0 || index > max)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Start index must lie in [0, {max}] so that at least one step is left (the sequence has {_values.Length} entries).");
        return new TimestepSequence(_values.Skip(index), StepFromLast);
    }

    /// <summary>The same timesteps, stopping at the last entry instead of stepping to clean data.</summary>
    public TimestepSequence StopAtLast() => new(_values, stepFromLast: false);

    /// <summary>The same timesteps, with a final step from the last entry to clean data.</summary>
    public TimestepSequence ThroughLast() => new(_values, stepFromLast: true);

    /// <summary>Checks that every timestep lies inside a schedule of <paramref name="length"/> timesteps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A timestep is too large.</exception>
    public void Validate(int length)
    {
        if (_values[0] >= length)
            throw new ArgumentOutOfRangeException(nameof(length), $"Timestep {_values[0]} is outside a schedule of {length} timesteps (valid: 0 … {length - 1}).");
    }

    /// <inheritdoc />
    public bool Equals(TimestepSequence? other)
        => other is not null && StepFromLast == other.StepFromLast && _values.AsSpan().SequenceEqual(other._values);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as TimestepSequence);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_values.Length, _values[0], _values[^1], StepFromLast);

    /// <inheritdoc />
    public override string ToString()
        => _values.Length <= 6
            ? $"[{string.Join(", ", _values)}]{(StepFromLast ? " → clean" : "")}"
            : $"[{_values[0]}, {_values[1]}, {_values[2]}, …, {_values[^1]}] ({_values.Length} entries){(StepFromLast ? " → clean" : "")}";
}
