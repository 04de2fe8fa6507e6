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

    /// <summary>
    /// Euler on σ (Karras et al. 2022, Algorithm 2 without churn), diffusers' <c>EulerDiscreteScheduler</c>: on a discrete
    /// schedule it steps x/α with d = (x − x̂_0)/σ; on rectified flow it is flow-matching Euler.
    /// </summary>
    public static EulerSampler Euler(bool karrasSigmas = false) => new(new EulerSamplerOptions { KarrasSigmas = karrasSigmas });

    /// <summary>Any Euler configuration (churn, final σ, Karras range, …).</summary>
    public static EulerSampler Euler(EulerSamplerOptions options) => new(options);

    /// <summary>Euler ancestral (diffusers' <c>EulerAncestralDiscreteScheduler</c>): Euler down to σ_down, then fresh noise up to σ_{i+1}.</summary>
    public static EulerAncestralSampler EulerAncestral(EulerAncestralSamplerOptions? options = null) => new(options);

    /// <summary>Heun's second-order method on σ (Karras et al. 2022, Algorithm 1): two model calls per step, one on the last step to σ = 0.</summary>
    public static HeunSampler Heun(bool karrasSigmas = false) => new(new HeunSamplerOptions { KarrasSigmas = karrasSigmas });

    /// <summary>Any Heun configuration.</summary>
    public static HeunSampler Heun(HeunSamplerOptions options) => new(options);

    /// <summary>
    /// Flow-matching Euler on rectified flow (diffusers' <c>FlowMatchEulerDiscreteScheduler</c>): x ← x + (σ′ − σ)·v over
    /// σ evenly from 1 with the time shift σ ← sσ/(1 + (s − 1)σ) (SD3 uses s = 3). Refused on a variance-preserving model.
    /// </summary>
    public static EulerSampler FlowMatchEuler(double shift = 1.0) => new(new EulerSamplerOptions { FlowMatching = true, Shift = shift });

    /// <summary>Heun on rectified flow's shifted grid (diffusers' later <c>FlowMatchHeunDiscreteScheduler</c>).</summary>
    public static HeunSampler FlowMatchHeun(double shift = 1.0) => new(new HeunSamplerOptions { FlowMatching = true, Shift = shift });

    /// <summary>One-step x̂_0.</summary>
    public static OneStepSampler OneStep => OneStepSampler.Instance;

    /// <summary>The names <see cref="Parse"/> reads (each σ-space or multistep one also with a <c>-karras</c> suffix).</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "ddpm", "ddim", "dpm++2m", "dpm++3m", "dpm++2m-sde", "dpm-solver-2m", "dpm-solver-3m", "unipc", "unipc-bh1", "unipc-3", "unipc-bh1-3",
        "euler", "euler-a", "heun", "flow-euler", "flow-heun",
    ];

    /// <summary>
    /// A sampler by name, with diffusers' defaults: <c>ddpm</c>, <c>ddim</c>, <c>dpm++2m</c>, <c>dpm++3m</c>,
    /// <c>dpm++2m-sde</c>, <c>dpm-solver-2m</c>/<c>-3m</c> (ε space), <c>unipc</c> (bh2, order 2), <c>unipc-bh1</c>,
    /// <c>unipc-3</c>, <c>unipc-bh1-3</c>, <c>euler</c>, <c>euler-a</c>, <c>heun</c>, <c>flow-euler</c>, <c>flow-heun</c>;
    /// append <c>-karras</c> to a DPM-Solver++, UniPC, Euler or Heun name for Karras σ. Case and surrounding spaces are ignored.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not one of these; the message lists them.</exception>
    public static ISampler Parse(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        string key = name.Trim().ToLowerInvariant();
        bool karras = key.EndsWith("-karras", StringComparison.Ordinal);
        string basis = karras ? key[..^"-karras".Length] : key;
        ISampler? sampler = basis switch
        {
            "ddpm" when !karras => Ddpm(),
            "ddim" when !karras => Ddim(),
            "dpm++2m" => DpmSolverPlusPlus(2, karras),
            "dpm++3m" => DpmSolverPlusPlus(3, karras),
            "dpm++2m-sde" => SdeDpmSolverPlusPlus(2, karras),
            "dpm-solver-2m" when !karras => DpmSolver(2),
            "dpm-solver-3m" when !karras => DpmSolver(3),
            "unipc" => UniPc(2, UniPcSolverType.Bh2, karras),
            "unipc-bh1" => UniPc(2, UniPcSolverType.Bh1, karras),
            "unipc-3" => UniPc(3, UniPcSolverType.Bh2, karras),
            "unipc-bh1-3" => UniPc(3, UniPcSolverType.Bh1, karras),
            "euler" => Euler(karras),
            "euler-a" when !karras => EulerAncestral(),
            "heun" => Heun(karras),
            "flow-euler" when !karras => FlowMatchEuler(),
            "flow-heun" when !karras => FlowMatchHeun(),
            _ => null,
        };
        return sampler ?? throw new ArgumentException(
            $"Unknown sampler '{name}'. Known: {string.Join(", ", Names)} (DPM-Solver++, UniPC, Euler and Heun also with -karras).", nameof(name));
    }

    /// <summary>A timestep spacing by diffusers' name (<c>linspace</c>, <c>leading</c>, <c>trailing</c>).</summary>
    /// <exception cref="ArgumentException">The name is not one of these.</exception>
    public static TimestepSpacing ParseSpacing(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "linspace" => TimestepSpacing.Linspace,
            "leading" => TimestepSpacing.Leading,
            "trailing" => TimestepSpacing.Trailing,
            _ => throw new ArgumentException($"Unknown timestep spacing '{name}'. Known: linspace, leading, trailing.", nameof(name)),
        };
    }
}
