using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;

namespace Diffusion.Net.Sampling;

/// <summary>What DDPM and DDIM share: they step between integer timesteps of a discrete schedule's table.</summary>
internal static class DiscreteTimesteps
{
    /// <summary>diffusers' DDPM/DDIM <c>set_timesteps(n)</c>: n entries with the options' spacing, stepping to clean data.</summary>
    public static SigmaSchedule Create(IDiffusionProcess process, int steps, SamplerOptions options, string sampler)
    {
        ArgumentNullException.ThrowIfNull(process);
        if (process is not INoiseSchedule schedule)
            throw new ArgumentException($"{sampler} steps through a discrete schedule's table; {process} is {process.Kind}. Use a σ-space sampler (Samplers.Euler, Samplers.FlowMatchEuler) for rectified flow.", nameof(process));
        var timesteps = options.Spacing switch
        {
            TimestepSpacing.Linspace => Timesteps.Linspace(steps, schedule.Length),
            TimestepSpacing.Trailing => Timesteps.Trailing(steps, schedule.Length),
            _ => Timesteps.Leading(steps, schedule.Length, options.StepsOffset),
        };
        return SigmaSchedule.FromTimesteps(process, timesteps);
    }

    /// <summary>Throws unless every level sits on a table entry (the end may be clean data) and the output kind is readable.</summary>
    public static void Check(SigmaSchedule schedule, PredictionKind kind, string sampler)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        if (schedule.Process is not INoiseSchedule table)
            throw new ArgumentException($"{sampler} steps through a discrete schedule's table; this schedule belongs to {schedule.Process} ({schedule.Process.Kind}). A rectified-flow model needs a σ-space sampler such as Samplers.FlowMatchEuler.", nameof(schedule));
        if (kind == PredictionKind.FlowVelocity)
            throw new ArgumentException($"{sampler} cannot read a flow-velocity model; use Samplers.FlowMatchEuler or another σ-space sampler.", nameof(kind));
        for (int i = 0; i < schedule.Levels.Count; i++)
        {
            var level = schedule[i];
            bool end = i == schedule.StepCount;
            if (end && level.IsClean) continue;
            double t = level.Timestep;
            if (t != Math.Floor(t) || t < 0 || t >= table.Length)
                throw new ArgumentException(FormattableString.Invariant(
                    $"{sampler} needs integer timesteps of the table [0, {table.Length - 1}]; level {i} is at t = {t}. Build the schedule from a TimestepSequence, or use a σ-space sampler for fractional timesteps."), nameof(schedule));
        }
    }

    /// <summary>The table index step <paramref name="index"/> goes to: the next level's, or −1 for clean data.</summary>
    public static int Previous(SigmaSchedule schedule, int index)
    {
        var next = schedule[index + 1];
        return next.IsClean ? -1 : (int)next.Timestep;
    }
}
