using Diffusion.Net.Schedules;

namespace Diffusion.Net.Sampling;

/// <summary>
/// The timestep grids of diffusers' <c>set_timesteps</c>, family by family (numpy's <c>round</c> is half to even).
/// </summary>
internal static class DiffusersTimesteps
{
    /// <summary>DPM-Solver and UniPC: n + 1 points over [0, T − 1], the last (0) dropped; integers.</summary>
    public static double[] Multistep(TimestepSpacing spacing, int steps, int length, int stepsOffset = 0)
    {
        Check(steps, length);
        var values = new double[steps];
        switch (spacing)
        {
            case TimestepSpacing.Linspace:
                for (int i = 0; i < steps; i++) values[i] = Math.Round(Linspace(0, length - 1, steps + 1, steps - i), MidpointRounding.ToEven);
                break;
            case TimestepSpacing.Leading:
                int ratio = length / (steps + 1);
                for (int i = 0; i < steps; i++) values[i] = (double)(steps - i) * ratio + stepsOffset;
                break;
            default:
                double stride = (double)length / steps;
                for (int i = 0; i < steps; i++) values[i] = Math.Round(length - i * stride, MidpointRounding.ToEven) - 1;
                break;
        }
        return values;
    }

    /// <summary>Euler, Euler ancestral and Heun: n points over [0, T − 1], fractional for linspace, rounded to float32.</summary>
    public static double[] Sigma(TimestepSpacing spacing, int steps, int length, int stepsOffset = 0)
    {
        Check(steps, length);
        var values = new double[steps];
        for (int i = 0; i < steps; i++)
        {
            values[i] = spacing switch
            {
                TimestepSpacing.Linspace => (float)Linspace(0, length - 1, steps, steps - 1 - i),
                TimestepSpacing.Leading => (double)(steps - 1 - i) * (length / steps) + stepsOffset,
                _ => Math.Round(length - i * ((double)length / steps), MidpointRounding.ToEven) - 1,
            };
        }
        return values;
    }

    /// <summary>Entry <paramref name="k"/> of <c>np.linspace(start, stop, count)</c>, computed as numpy does.</summary>
    public static double Linspace(double start, double stop, int count, int k)
    {
        if (count == 1) return start;
        if (k == count - 1) return stop;
        double step = (stop - start) / (count - 1);
        return k * step + start;
    }

    public static int Length(IDiffusionProcess process, string sampler)
        => process is INoiseSchedule schedule
            ? schedule.Length
            : throw new ArgumentException($"{sampler} with timestep spacing needs a discrete schedule; {process} has none (rectified flow uses its own σ grid).", nameof(process));

    private static void Check(int steps, int length)
    {
        if (steps < 1 || steps > length)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"The number of steps must lie in [1, {length}].");
    }
}
