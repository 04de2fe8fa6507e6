namespace Diffusion.Net.Sampling;

/// <summary>The variance of the DDPM reverse step (Ho et al. 2020 §3.2; Nichol &amp; Dhariwal 2021 for learned range).</summary>
public enum DdpmVariance
{
    /// <summary>σ² = β_t (for a strided step, β_t = 1 − ᾱ_t/ᾱ_{t′}): CS180 Part B's √β_t z, diffusers' "fixed_large".</summary>
    FixedLarge,

    /// <summary>σ² = β̃_t = (1 − ᾱ_{t′})/(1 − ᾱ_t) · β_t, the posterior variance (clamped at 1e-20): diffusers' "fixed_small".</summary>
    FixedSmall,

    /// <summary>
    /// log σ² = f·log β_t + (1 − f)·log β̃_t with f = (v + 1)/2 from the model's variance channels v: DeepFloyd IF,
    /// diffusers' "learned_range" (CS180 Part A's <c>add_variance</c>).
    /// </summary>
    LearnedRange,
}
