namespace Diffusion.Net.Sampling;

/// <summary>
/// Options of <see cref="EulerAncestralSampler"/>, with the names and defaults of diffusers'
/// <c>EulerAncestralDiscreteScheduler</c>: its config is the timestep spacing and <c>steps_offset</c> of the base
/// options. The base options' x̂_0 limits (off by default; diffusers has none for this scheduler) apply before the step.
/// </summary>
public sealed record EulerAncestralSamplerOptions : SamplerOptions;
