namespace Diffusion.Net.Sampling;

/// <summary>
/// How diffusers spreads a sampler's timesteps over the training range (<c>timestep_spacing</c>; Lin et al. 2024,
/// "Common Diffusion Noise Schedules and Sample Steps are Flawed", table 2). Each scheduler family applies it its own
/// way, which the samplers reproduce.
/// </summary>
public enum TimestepSpacing
{
    /// <summary>Evenly from T − 1 down to 0 (diffusers' default for DPM-Solver, UniPC, Euler and Heun).</summary>
    Linspace,

    /// <summary>Multiples of T/n from 0, so the first timestep falls short of T − 1 (DDPM's and IF's default).</summary>
    Leading,

    /// <summary>From T − 1 down in strides of T/n, so the largest timestep is always visited.</summary>
    Trailing,
}
