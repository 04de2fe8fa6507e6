using System.Globalization;
using Diffusion.Net.Sampling;

namespace Diffusion.Net.Mnist.Sampling;

/// <summary>
/// How a CS180 MNIST model is sampled: a sampler and its step count, with x̂_0 clamped to MNIST's [0, 1] at every step
/// (the clamp DDPM's reference implementation applies to its data range). <see cref="Ddpm"/> is Algorithms B.2/B.4, every
/// one of the T = 300 timesteps; the others walk the sampler's own diffusers-style grid of <see cref="Steps"/> steps.
/// </summary>
/// <param name="Name">A short name, e.g. <c>dpm++2m-10</c>; <see cref="Parse"/> reads it back.</param>
/// <param name="Sampler">The sampler.</param>
/// <param name="Steps">The step count, or null for every timestep of the schedule (DDPM's T steps).</param>
public sealed record MnistSampler(string Name, ISampler Sampler, int? Steps)
{
    /// <summary>Algorithm B.4 (and B.2): the DDPM step with σ² = β_t at every timestep, 300 model evaluations per branch.</summary>
    public static MnistSampler Ddpm(bool clipToDataRange = true) => new("ddpm", MnistSampling.Sampler(clipToDataRange), null);

    /// <summary>Deterministic DDIM (η = 0) over <paramref name="steps"/> trailing-spaced timesteps.</summary>
    public static MnistSampler Ddim(int steps, bool clipToDataRange = true)
        => new(Named("ddim", steps), new DdimSampler(new DdimSamplerOptions { Spacing = TimestepSpacing.Trailing, DataRange = Range(clipToDataRange) }), Check(steps));

    /// <summary>DPM-Solver++(2M) over <paramref name="steps"/> steps (diffusers' linspace grid).</summary>
    public static MnistSampler DpmSolverPlusPlus(int steps, bool clipToDataRange = true)
        => new(Named("dpm++2m", steps), new DpmSolverSampler(new DpmSolverOptions { DataRange = Range(clipToDataRange) }), Check(steps));

    /// <summary>UniPC (bh2, order 2, predictor-corrector) over <paramref name="steps"/> steps (diffusers' linspace grid).</summary>
    public static MnistSampler UniPc(int steps, bool clipToDataRange = true)
        => new(Named("unipc", steps), new UniPcSampler(new UniPcOptions { DataRange = Range(clipToDataRange) }), Check(steps));

    /// <summary>SDE-DPM-Solver++(2M) over <paramref name="steps"/> steps: DPM-Solver++ with fresh noise every step, as DDPM has.</summary>
    public static MnistSampler SdeDpmSolverPlusPlus(int steps, bool clipToDataRange = true)
        => new(Named("dpm++2m-sde", steps), new DpmSolverSampler(new DpmSolverOptions { Algorithm = DpmSolverAlgorithm.SdeDpmSolverPlusPlus, DataRange = Range(clipToDataRange) }), Check(steps));

    /// <summary>DPM-Solver++(2M) on Karras et al.'s σ grid (ρ = 7), which ends at the table's smallest σ before clean data.</summary>
    public static MnistSampler DpmSolverPlusPlusKarras(int steps, bool clipToDataRange = true)
        => new(Named("dpm++2m-karras", steps), new DpmSolverSampler(new DpmSolverOptions { KarrasSigmas = true, DataRange = Range(clipToDataRange) }), Check(steps));

    /// <summary>Euler ancestral over <paramref name="steps"/> steps (fresh noise every step).</summary>
    public static MnistSampler EulerAncestral(int steps, bool clipToDataRange = true)
        => new(Named("euler-a", steps), new EulerAncestralSampler(new EulerAncestralSamplerOptions { DataRange = Range(clipToDataRange) }), Check(steps));

    /// <summary>Heun on σ over <paramref name="steps"/> steps: 2 model calls per step, one on the last (2N − 1 in all).</summary>
    public static MnistSampler Heun(int steps, bool clipToDataRange = true)
        => new(Named("heun", steps), new HeunSampler(new HeunSamplerOptions { DataRange = Range(clipToDataRange) }), Check(steps));

    /// <summary>Euler on σ over <paramref name="steps"/> steps.</summary>
    public static MnistSampler Euler(int steps, bool clipToDataRange = true)
        => new(Named("euler", steps), new EulerSampler(new EulerSamplerOptions { DataRange = Range(clipToDataRange) }), Check(steps));

    /// <summary>
    /// Reads a name: <c>ddpm</c>, or one of <see cref="Known"/> with N steps.
    /// </summary>
    /// <exception cref="ArgumentException">The name or its step count is not one of these.</exception>
    public static MnistSampler Parse(string name, bool clipToDataRange = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        string key = name.Trim().ToLowerInvariant();
        if (key == "ddpm") return Ddpm(clipToDataRange);
        int dash = key.LastIndexOf('-');
        if (dash <= 0 || !int.TryParse(key[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int steps) || steps < 1 || steps > 300)
            throw new ArgumentException($"Unknown MNIST sampler '{name}': use {Known} (N steps, 1 to 300).", nameof(name));
        return key[..dash] switch
        {
            "ddim" => Ddim(steps, clipToDataRange),
            "dpm++2m" => DpmSolverPlusPlus(steps, clipToDataRange),
            "unipc" => UniPc(steps, clipToDataRange),
            "dpm++2m-sde" => SdeDpmSolverPlusPlus(steps, clipToDataRange),
            "dpm++2m-karras" => DpmSolverPlusPlusKarras(steps, clipToDataRange),
            "euler-a" => EulerAncestral(steps, clipToDataRange),
            "heun" => Heun(steps, clipToDataRange),
            "euler" => Euler(steps, clipToDataRange),
            _ => throw new ArgumentException($"Unknown MNIST sampler '{name}': use {Known} (N steps, 1 to 300).", nameof(name)),
        };
    }

    /// <summary>The names <see cref="Parse"/> reads.</summary>
    public static string Known => "ddpm, ddim-N, dpm++2m-N, dpm++2m-karras-N, dpm++2m-sde-N, unipc-N, heun-N, euler-N, euler-a-N";

    /// <inheritdoc />
    public override string ToString() => Name;

    private static (double, double)? Range(bool clip) => clip ? (0, 1) : null;

    private static string Named(string name, int steps) => FormattableString.Invariant($"{name}-{steps}");

    private static int Check(int steps)
    {
        if (steps < 1 || steps > 300) throw new ArgumentOutOfRangeException(nameof(steps), steps, "The step count must lie in [1, 300] (the schedule's T).");
        return steps;
    }
}
