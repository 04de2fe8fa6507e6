namespace Diffusion.Net.Schedules;

/// <summary>Factories for timestep sequences: CS180's strided list, diffusers' spacings, custom lists.</summary>
public static class Timesteps
{
    /// <summary>
    /// CS180 Part A's <c>strided_timesteps</c>: <paramref name="start"/>, start − stride, …, down to
    /// <paramref name="end"/> (990, 960, …, 30, 0: 34 entries by default). The loop stops at the last entry, as the
    /// course's <c>iterative_denoise</c> does (noise is still added on the 30 → 0 step).
    /// </summary>
    public static TimestepSequence Strided(int start = 990, int stride = 30, int end = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(end);
        if (start <= end) throw new ArgumentOutOfRangeException(nameof(start), start, $"Start ({start}) must exceed end ({end}).");
        var values = new List<int>();
        for (int t = start; t >= end; t -= stride) values.Add(t);
        return new TimestepSequence(values, stepFromLast: false);
    }

    /// <summary>
    /// Every timestep of a schedule of <paramref name="length"/>, T − 1 … 0, stepping to clean data at the end:
    /// the full DDPM chain (CS180 Part B's "t = T … 1").
    /// </summary>
    public static TimestepSequence All(int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        return new TimestepSequence(Enumerable.Range(0, length).Reverse(), stepFromLast: true);
    }

    /// <summary>diffusers' "leading" spacing (IF's default): ratio = T / n; timesteps (n−1)·ratio, …, ratio, 0.</summary>
    public static TimestepSequence Leading(int inferenceSteps, int length = 1000, int stepsOffset = 0)
    {
        CheckCounts(inferenceSteps, length);
        int ratio = length / inferenceSteps;
        return new TimestepSequence(Enumerable.Range(0, inferenceSteps).Reverse().Select(i => i * ratio + stepsOffset));
    }

    /// <summary>diffusers' "linspace" spacing: round(linspace(0, T − 1, n)), descending.</summary>
    public static TimestepSequence Linspace(int inferenceSteps, int length = 1000)
    {
        CheckCounts(inferenceSteps, length);
        var values = new int[inferenceSteps];
        for (int i = 0; i < inferenceSteps; i++)
        {
            double v = inferenceSteps == 1 ? 0 : (length - 1) * (double)i / (inferenceSteps - 1);
            values[inferenceSteps - 1 - i] = (int)Math.Round(v, MidpointRounding.ToEven);
        }
        return new TimestepSequence(values);
    }

    /// <summary>diffusers' "trailing" spacing: round(T, 0, −T/n) − 1 (ends at T − 1 exactly).</summary>
    public static TimestepSequence Trailing(int inferenceSteps, int length = 1000)
    {
        CheckCounts(inferenceSteps, length);
        double ratio = (double)length / inferenceSteps;
        var values = new List<int>();
        for (int i = 0; i < inferenceSteps; i++) values.Add((int)Math.Round(length - i * ratio, MidpointRounding.ToEven) - 1);
        return new TimestepSequence(values);
    }

    /// <summary>A custom list (diffusers' <c>set_timesteps(timesteps=[…])</c>); strictly descending.</summary>
    public static TimestepSequence Custom(params int[] values) => new(values);

    private static void CheckCounts(int inferenceSteps, int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        if (inferenceSteps < 1 || inferenceSteps > length)
            throw new ArgumentOutOfRangeException(nameof(inferenceSteps), inferenceSteps, $"The number of inference steps must lie in [1, {length}].");
    }
}
