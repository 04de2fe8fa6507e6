using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>
/// Euler ancestral sampling (k-diffusion's <c>sample_euler_ancestral</c>), as diffusers'
/// <c>EulerAncestralDiscreteScheduler</c>: an Euler step down to σ_↓, then fresh noise back up to σ′, splitting the
/// ancestral step from σ to σ′ into its deterministic and stochastic parts:
/// <code>
/// σ_↑ = √(σ′²(σ² − σ′²)/σ²),   σ_↓ = √(σ′² − σ_↑²)
/// x′ = x + (σ_↓ − σ)·(x − x̂_0)/σ + σ_↑ z
/// </code>
/// with the VE sample x/α and σ = σ/α of a variance-preserving process (model input x/√(σ² + 1), as
/// <see cref="EulerSampler"/>). It draws one noise tensor every step, also on a last step to clean data (σ_↑ = 0),
/// as diffusers does. Rectified flow has no ancestral variant in diffusers; this sampler rejects it.
/// </summary>
public sealed class EulerAncestralSampler : ISampler
{
    /// <summary>Creates the sampler.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public EulerAncestralSampler(EulerAncestralSamplerOptions? options = null)
    {
        Options = options ?? new EulerAncestralSamplerOptions();
        Options.Validate();
    }

    /// <summary>The options.</summary>
    public EulerAncestralSamplerOptions Options { get; }

    /// <inheritdoc />
    public SigmaSchedule CreateSchedule(IDiffusionProcess process, int steps)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        CheckProcess(process, nameof(process));
        return EulerFamily.VariancePreservingGrid(process, steps, Options, karras: false, null, null, FinalSigma.Zero, float32Timesteps: true, "Euler ancestral");
    }

    /// <inheritdoc />
    public void Validate(SigmaSchedule schedule, PredictionKind kind)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        CheckProcess(schedule.Process, nameof(schedule));
        PredictionConversion.CheckFits(kind, schedule.Process);
    }

    /// <inheritdoc />
    public int ModelCalls(SigmaSchedule schedule) => schedule?.StepCount ?? throw new ArgumentNullException(nameof(schedule));

    /// <inheritdoc />
    public ISamplerRun Start(SigmaSchedule schedule, INoiseSource noise) => new Run(Options, schedule, noise);

    /// <inheritdoc />
    public override string ToString()
    {
        string limits = Options.LimitsDescription().TrimStart(',', ' ');
        return limits.Length == 0 ? "Euler ancestral" : $"Euler ancestral({limits})";
    }

    private static void CheckProcess(IDiffusionProcess process, string parameter)
    {
        if (process.Kind != ProcessKind.VariancePreserving)
            throw new ArgumentException($"Euler ancestral is defined on a variance-preserving process (its noise split assumes x/α = x_0 + (σ/α)·ε); {process} is {process.Kind}. Use FlowMatchEuler or FlowMatchHeun on rectified flow.", parameter);
    }

    private sealed class Run(EulerAncestralSamplerOptions options, SigmaSchedule schedule, INoiseSource noise)
        : EulerFamilyRun(schedule, noise, options.Spacing)
    {
        protected override SamplerStep TakeStep(int index, Tensor sample, IDenoiser denoiser)
        {
            var level = Schedule[index];
            float sigma = StepSigma(level), sigmaTo = StepSigma(Schedule[index + 1]);
            // float32, in diffusers' order; the clamp only guards a rounding below zero where diffusers would give NaN.
            float sigmaUp = MathF.Sqrt(sigmaTo * sigmaTo * (sigma * sigma - sigmaTo * sigmaTo) / (sigma * sigma));
            float sigmaDown = MathF.Sqrt(MathF.Max(sigmaTo * sigmaTo - sigmaUp * sigmaUp, 0f));

            using var scope = NewDisposeScope();
            var x0 = options.Limit(PredictOriginal(denoiser, sample, level, sigma));
            var derivative = (sample - x0) / sigma;
            float dt = sigmaDown - sigma;
            var next = sample + derivative * dt;
            var z = Noise.Next(sample.shape, sample.dtype, sample.device);
            next = next + z * sigmaUp;
            return new SamplerStep(scope.MoveToOuter(next), scope.MoveToOuter(x0.alias()));
        }
    }
}
