using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>
/// The state a σ-space run holds: on a variance-preserving process diffusers' "VE" sample x/α = x_0 + (σ/α)·ε
/// (scale 1/α, 1 at clean data), whose model input is x/α divided by √((σ/α)² + 1), i.e. x again; on rectified flow the
/// process's own x, which is also the model input.
/// </summary>
internal abstract class EulerFamilyRun : SamplerRun
{
    private readonly TimestepSpacing _spacing;

    protected EulerFamilyRun(SigmaSchedule schedule, INoiseSource noise, TimestepSpacing spacing) : base(schedule, noise)
    {
        _spacing = spacing;
        Flow = EulerFamily.IsFlow(schedule.Process);
    }

    /// <summary>Whether the run steps rectified flow's x (otherwise the VE sample x/α).</summary>
    protected bool Flow { get; }

    public override double StateScale(int levelIndex) => Flow ? 1 : 1 / Schedule[levelIndex].Alpha;

    /// <summary>
    /// A noised image becomes x/α (diffusers' <c>add_noise</c>, x_0 + σ/α·ε); the pipeline's initial draw becomes
    /// randn·<c>init_noise_sigma</c>, as diffusers scales its latents (σ_max for linspace and trailing spacing, which
    /// is not quite x/α).
    /// </summary>
    public override Tensor Begin(Tensor sample, bool pureNoise)
    {
        ArgumentNullException.ThrowIfNull(sample);
        if (!pureNoise || Flow) return base.Begin(sample, pureNoise);
        return sample * EulerFamily.InitNoiseSigma(Schedule.First, _spacing);
    }

    /// <summary>What the model receives for <paramref name="state"/> at <paramref name="level"/> (a new tensor or an alias).</summary>
    protected Tensor ModelInput(Tensor state, NoiseLevel level) => Flow ? state.alias() : EulerFamily.ModelInput(state, level);

    /// <summary>The σ the step moves in (σ/α on VP, σ on flow), float32.</summary>
    protected float StepSigma(NoiseLevel level) => EulerFamily.StepSigma(level, Flow);

    /// <summary>One model call on <paramref name="state"/> at <paramref name="level"/>, read as x̂_0 (not yet limited).</summary>
    protected Tensor PredictOriginal(IDenoiser denoiser, Tensor state, NoiseLevel level, float epsilonSigma)
    {
        using var input = ModelInput(state, level);
        using var prediction = Call(denoiser, input, level);
        return EulerFamily.Original(prediction, state, level, Flow, epsilonSigma);
    }
}
