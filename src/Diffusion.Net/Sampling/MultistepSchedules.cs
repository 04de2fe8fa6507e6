using Diffusion.Net.Schedules;

namespace Diffusion.Net.Sampling;

/// <summary>The <c>set_timesteps</c> of diffusers' multistep solvers (DPM-Solver, UniPC): integer timesteps or Karras σ, then the final σ.</summary>
internal static class MultistepSchedules
{
    public static SigmaSchedule Create(IDiffusionProcess process, int steps, SamplerOptions options, bool karras, FinalSigma final, string sampler)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if (process is not INoiseSchedule table)
        {
            if (karras) throw new ArgumentException($"{sampler}: Karras σ is defined on a discrete schedule's σ range; {process} has no finite σ_max.", nameof(process));
            return SigmaSchedule.Flow(process, steps);
        }
        if (karras)
            return SigmaSchedule.Karras(process, steps, roundTimesteps: true, final: final);
        var timesteps = DiffusersTimesteps.Multistep(options.Spacing, steps, table.Length, options.StepsOffset);
        var levels = timesteps.Select(t => process.At(t)).ToList();
        levels.Add(final == FinalSigma.Zero ? process.At(process.CleanTimestep) : process.At(0));
        return new SigmaSchedule(process, levels);
    }
}
