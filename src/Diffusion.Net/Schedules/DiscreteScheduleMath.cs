namespace Diffusion.Net.Schedules;

/// <summary>
/// The continuous time axis of a discrete variance-preserving schedule, with diffusers' arithmetic: σ/α tables as
/// <c>((1 − ᾱ)/ᾱ) ** 0.5</c>, linear interpolation between entries (<c>np.interp</c>), and the log-σ inverse
/// <c>_sigma_to_t</c>. A <see cref="SchedulePrecision.PyTorchFloat32"/> schedule rounds where diffusers' float32 tensors do.
/// </summary>
internal static class DiscreteScheduleMath
{
    public static bool IsFloat32(INoiseSchedule schedule) => schedule is NoiseSchedule { Precision: SchedulePrecision.PyTorchFloat32 };

    /// <summary>σ/α at entry <paramref name="index"/>.</summary>
    public static double NoiseToSignal(INoiseSchedule schedule, int index)
    {
        double ab = schedule.AlphaBar(index);
        if (IsFloat32(schedule))
        {
            float a = (float)ab;
            return MathF.Sqrt((1f - a) / a);
        }
        return Math.Sqrt((1 - ab) / ab);
    }

    public static NoiseLevel At(INoiseSchedule schedule, double timestep)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        if (timestep == -1) return NoiseLevel.Clean(-1);
        if (!(timestep >= 0 && timestep <= schedule.Length - 1))
            throw new ArgumentOutOfRangeException(nameof(timestep), timestep, $"Timestep must lie in [0, {schedule.Length - 1}] (or be −1, clean data) for {schedule}.");
        if (timestep == Math.Floor(timestep))
        {
            int t = (int)timestep;
            double ab = schedule.AlphaBar(t);
            // The forward process's own scales, rounded as diffusers' add_noise rounds them.
            if (IsFloat32(schedule))
            {
                float a = (float)ab;
                return new NoiseLevel(t, MathF.Sqrt(a), MathF.Sqrt(1f - a), NoiseToSignal(schedule, t));
            }
            return new NoiseLevel(t, Math.Sqrt(ab), Math.Sqrt(1 - ab), NoiseToSignal(schedule, t));
        }
        int low = (int)Math.Floor(timestep);
        double f0 = NoiseToSignal(schedule, low), f1 = NoiseToSignal(schedule, low + 1);
        double ratio = (f1 - f0) * (timestep - low) + f0;
        if (IsFloat32(schedule)) ratio = (float)ratio;
        return NoiseLevel.VariancePreserving(timestep, ratio);
    }

    public static NoiseLevel AtNoiseToSignal(INoiseSchedule schedule, double noiseToSignal)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        if (!(noiseToSignal >= 0) || double.IsPositiveInfinity(noiseToSignal))
            throw new ArgumentOutOfRangeException(nameof(noiseToSignal), noiseToSignal, "A variance-preserving noise-to-signal ratio must be finite and non-negative.");
        if (noiseToSignal == 0) return NoiseLevel.Clean(-1);
        return NoiseLevel.VariancePreserving(TimestepOf(schedule, noiseToSignal), noiseToSignal);
    }

    /// <summary>diffusers' <c>_sigma_to_t</c>: interpolate log σ between the two table entries around it, clipped to the table.</summary>
    public static double TimestepOf(INoiseSchedule schedule, double noiseToSignal)
    {
        int n = schedule.Length;
        if (n < 2) return 0;
        bool f32 = IsFloat32(schedule);
        double LogSigma(int i) => f32 ? MathF.Log((float)NoiseToSignal(schedule, i)) : Math.Log(NoiseToSignal(schedule, i));
        double logSigma = Math.Log(Math.Max(noiseToSignal, 1e-10));
        // The last entry whose log σ does not exceed the target (0 if none), kept below the final entry.
        int low = 0;
        for (int i = 0; i < n; i++)
            if (logSigma - LogSigma(i) >= 0) low = i;
        low = Math.Min(low, n - 2);
        double lo = LogSigma(low), hi = LogSigma(low + 1);
        double w = Math.Clamp((lo - logSigma) / (lo - hi), 0, 1);
        return (1 - w) * low + w * (low + 1);
    }
}
