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

    /// <summary>
    /// DPM-Solver++ (Lu et al. 2022b) of <paramref name="order"/> 2 (2M) or 3 (3M), diffusers' defaults otherwise: the fast
    /// sampler for guided sampling (15–20 steps where DDIM needs 100–250).
    /// </summary>
    public static DpmSolverSampler DpmSolverPlusPlus(int order = 2, bool karrasSigmas = false)
        => new(new DpmSolverOptions { Order = order, KarrasSigmas = karrasSigmas });

    /// <summary>SDE-DPM-Solver++ of <paramref name="order"/> 1 or 2: DPM-Solver++ with fresh noise every step.</summary>
    public static DpmSolverSampler SdeDpmSolverPlusPlus(int order = 2, bool karrasSigmas = false)
        => new(new DpmSolverOptions { Order = order, Algorithm = DpmSolverAlgorithm.SdeDpmSolverPlusPlus, KarrasSigmas = karrasSigmas });

    /// <summary>ε-space DPM-Solver (Lu et al. 2022a) of <paramref name="order"/> 1–3, ending at σ_min as diffusers requires.</summary>
    public static DpmSolverSampler DpmSolver(int order = 2)
        => new(new DpmSolverOptions { Order = order, Algorithm = DpmSolverAlgorithm.DpmSolver, FinalSigma = FinalSigma.SigmaMin });

    /// <summary>Any DPM-Solver configuration.</summary>
    public static DpmSolverSampler DpmSolver(DpmSolverOptions options) => new(options);

    /// <summary>
    /// UniPC (Zhao et al. 2023) of <paramref name="order"/> 1–3 with the B(h) <paramref name="solverType"/> (bh2 is
    /// diffusers' default and the one for guided sampling, bh1 for unconditional), predictor-corrector, x̂_0 prediction.
    /// </summary>
    public static UniPcSampler UniPc(int order = 2, UniPcSolverType solverType = UniPcSolverType.Bh2, bool karrasSigmas = false)
        => new(new UniPcOptions { Order = order, SolverType = solverType, KarrasSigmas = karrasSigmas });

    /// <summary>Any UniPC configuration.</summary>
    public static UniPcSampler UniPc(UniPcOptions options) => new(options);

    /// <summary>One-step x̂_0.</summary>
    public static OneStepSampler OneStep => OneStepSampler.Instance;
}
