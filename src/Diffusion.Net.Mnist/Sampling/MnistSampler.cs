using System.Globalization;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;

namespace Diffusion.Net.Mnist.Sampling;

/// <summary>
/// How a CS180 MNIST model is sampled: a sampler and its step count, with x̂_0 clamped to MNIST's [0, 1] at every step
/// (the clamp DDPM's reference implementation applies to its data range). <see cref="Ddpm"/> is Algorithms B.2/B.4, every
/// one of the T = 300 timesteps; the others walk the sampler's own diffusers-style grid of <see cref="Steps"/> steps.
/// A flow model (<see cref="Objective"/> flow) is sampled by <see cref="FlowEuler"/> (CS180's Euler over N equal steps),
/// <see cref="FlowHeun"/>, or DPM-Solver++ and UniPC on rectified flow's σ grid.
/// </summary>
/// <param name="Name">A short name, e.g. <c>dpm++2m-10</c>; <see cref="Parse(string, MnistObjective, bool)"/> reads it back.</param>
/// <param name="Sampler">The sampler.</param>
/// <param name="Steps">The step count, or null for every timestep of the schedule (DDPM's T steps).</param>
public sealed record MnistSampler(string Name, ISampler Sampler, int? Steps)
{
    /// <summary>The kind of model this sampler reads: DDPM's ε, or the flow velocity.</summary>
    public MnistObjective Objective { get; init; } = MnistObjective.Ddpm;

    /// <summary>Whether the run walks <see cref="Steps"/> equal steps in σ (CS180's flow sampler) instead of the sampler's own grid.</summary>
    public bool EqualSteps { get; init; }

    /// <summary>UniPC cannot start at pure noise (λ = −∞): on rectified flow it walks diffusers' <c>use_flow_sigmas</c> grid.</summary>
    private bool BelowPureNoise { get; init; }

    /// <summary>Model evaluations per sample and guidance branch on a model of <paramref name="process"/>.</summary>
    public int ModelCalls(IDiffusionProcess process)
    {
        ArgumentNullException.ThrowIfNull(process);
        return Sampler.ModelCalls(Schedule(process));
    }

    /// <summary>The noise levels this sampler walks on <paramref name="process"/>.</summary>
    public SigmaSchedule Schedule(IDiffusionProcess process)
    {
        ArgumentNullException.ThrowIfNull(process);
        if (EqualSteps) return SigmaSchedule.FlowUniform(process, Steps ?? 1);
        if (BelowPureNoise && process is RectifiedFlow) return SigmaSchedule.FlowMultistep(process, Steps ?? 1);
        if (Steps is { } steps) return Sampler.CreateSchedule(process, steps);
        return process is INoiseSchedule table ? SigmaSchedule.FromTimesteps(process, Timesteps.All(table.Length))
            : throw new ArgumentException($"'{Name}' walks every timestep of a DDPM table; {process} has none.", nameof(process));
    }

    /// <summary>
    /// CS180's flow sampler: Euler over <paramref name="steps"/> equal steps, x ← x + (1/N)·u_θ(x, t) at t = 0, 1/N, …
    /// (σ = 1 − t, v = −u: the same step written on σ).
    /// </summary>
    public static MnistSampler FlowEuler(int steps, bool clipToDataRange = true)
        => new(Named("euler", steps), new EulerSampler(new EulerSamplerOptions { FlowMatching = true, DataRange = Range(clipToDataRange) }), CheckFlow(steps))
        { Objective = MnistObjective.Flow, EqualSteps = true };

    /// <summary>Heun on a flow model over <paramref name="steps"/> equal steps: 2 model calls per step, one on the last (2N − 1 in all).</summary>
    public static MnistSampler FlowHeun(int steps, bool clipToDataRange = true)
        => new(Named("heun", steps), new HeunSampler(new HeunSamplerOptions { FlowMatching = true, DataRange = Range(clipToDataRange) }), CheckFlow(steps))
        { Objective = MnistObjective.Flow, EqualSteps = true };

    /// <summary>DPM-Solver++(2M) on a flow model, on rectified flow's σ grid from pure noise (<see cref="SigmaSchedule.Flow"/>, shift 1).</summary>
    public static MnistSampler FlowDpmSolverPlusPlus(int steps, bool clipToDataRange = true)
        => new(Named("dpm++2m", steps), new DpmSolverSampler(new DpmSolverOptions { DataRange = Range(clipToDataRange) }), CheckFlow(steps)) { Objective = MnistObjective.Flow };

    /// <summary>UniPC (bh2, order 2) on a flow model, on diffusers' multistep flow grid (<see cref="SigmaSchedule.FlowMultistep"/>, from σ = 1 − 1/T).</summary>
    public static MnistSampler FlowUniPc(int steps, bool clipToDataRange = true)
        => new(Named("unipc", steps), new UniPcSampler(new UniPcOptions { DataRange = Range(clipToDataRange) }), CheckFlow(steps)) { Objective = MnistObjective.Flow, BelowPureNoise = true };

    /// <summary>The main job's sampler for each objective.</summary>
    public static MnistSampler DefaultFor(MnistObjective objective) => objective == MnistObjective.Flow ? FlowEuler(DefaultFlowSteps) : Ddpm();

    /// <summary>The step count of <see cref="DefaultFor"/> on a flow model.</summary>
    public const int DefaultFlowSteps = 20;

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
    /// Reads a name: for a DDPM model <c>ddpm</c> or one of <see cref="Known"/> with N steps; for a flow model one of
    /// <see cref="KnownFlow"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The name or its step count is not one of these, or the sampler cannot read the objective's models.</exception>
    public static MnistSampler Parse(string name, MnistObjective objective, bool clipToDataRange = true)
    {
        if (objective == MnistObjective.Ddpm) return Parse(name, clipToDataRange);
        if (objective != MnistObjective.Flow) throw new ArgumentOutOfRangeException(nameof(objective), objective, "Unknown objective (ddpm or flow).");
        ArgumentException.ThrowIfNullOrEmpty(name);
        string key = name.Trim().ToLowerInvariant();
        int dash = key.LastIndexOf('-');
        int steps = 0;
        bool counted = dash > 0 && int.TryParse(key[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out steps) && steps >= 1 && steps <= 1000;
        string family = counted ? key[..dash] : key;
        return family switch
        {
            "euler" when counted => FlowEuler(steps, clipToDataRange),
            "heun" when counted => FlowHeun(steps, clipToDataRange),
            "dpm++2m" when counted => FlowDpmSolverPlusPlus(steps, clipToDataRange),
            "unipc" when counted => FlowUniPc(steps, clipToDataRange),
            "ddpm" or "ddim" or "dpm++2m-sde" or "dpm++2m-karras" or "euler-a" => throw new ArgumentException(
                $"MNIST sampler '{name}' reads DDPM (ε-prediction) models; this is a flow model, sampled with {KnownFlow}.", nameof(name)),
            _ => throw new ArgumentException($"Unknown MNIST flow sampler '{name}': use {KnownFlow} (N steps, 1 to 1000).", nameof(name)),
        };
    }

    /// <summary>The names <see cref="Parse(string, MnistObjective, bool)"/> reads for a flow model.</summary>
    public static string KnownFlow => "euler-N (CS180's Euler over N equal steps), heun-N, dpm++2m-N, unipc-N";

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

    /// <summary>The names <see cref="Parse(string, MnistObjective, bool)"/> reads.</summary>
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

    private static int CheckFlow(int steps)
    {
        if (steps < 1 || steps > 1000) throw new ArgumentOutOfRangeException(nameof(steps), steps, "A flow model's step count must lie in [1, 1000] (its timesteps τ = σ·1000).");
        return steps;
    }
}
