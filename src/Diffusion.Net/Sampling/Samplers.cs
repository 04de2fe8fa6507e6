namespace Diffusion.Net.Sampling;

/// <summary>Factories for <see cref="ISampler"/>.</summary>
public static class Samplers
{
    /// <summary>DDPM with σ² = β_t: CS180 Part B's Algorithm B.2 (the default sampler).</summary>
    public static DdpmSampler Ddpm(DdpmVariance variance = DdpmVariance.FixedLarge) => new(new DdpmSamplerOptions { Variance = variance });

    /// <summary>DDPM with full options (thresholding, clipping, spacing).</summary>
    public static DdpmSampler Ddpm(DdpmSamplerOptions options) => new(options);

    /// <summary>DDIM with η (0 = deterministic).</summary>
    public static DdimSampler Ddim(double eta = 0.0) => new(eta);

    /// <summary>DDIM with full options.</summary>
    public static DdimSampler Ddim(DdimSamplerOptions options) => new(options);

    /// <summary>One-step x̂_0.</summary>
    public static OneStepSampler OneStep => OneStepSampler.Instance;
}
