using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>
/// Heun's second-order method for the probability-flow ODE in σ (Karras et al. 2022, algorithm 1), as diffusers'
/// <c>HeunDiscreteScheduler</c> on a variance-preserving process and <c>FlowMatchHeunDiscreteScheduler</c> on
/// rectified flow. From x at σ to σ′, with x̂_0 the model's estimate and d = (x − x̂_0)/σ:
/// <code>
/// x̃ = x + (σ′ − σ)·d(x, σ),   x′ = x + (σ′ − σ)·½(d(x, σ) + d(x̃, σ′))
/// </code>
/// which takes two model calls, except a step to σ′ = 0, where d(x̃, 0) is undefined and the Euler predictor x̃ is the
/// result: a run of n steps ending on clean data makes 2n − 1 calls. The coordinates are <see cref="EulerSampler"/>'s
/// (the VE sample x/α with σ/α on VP, the process's x and σ on flow).
/// </summary>
/// <remarks>
/// diffusers spreads a Heun step over two <c>step</c> calls (its timestep list repeats every inner entry); here one
/// step makes both model calls. Clipping (diffusers' <c>clip_sample</c>) and the other x̂_0 limits apply to both
/// estimates. <see cref="SamplerStep.PredictedOriginal"/> is the first call's x̂_0, at the step's own level.
/// </remarks>
public sealed class HeunSampler : ISampler
{
    /// <summary>Creates the sampler.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public HeunSampler(HeunSamplerOptions? options = null)
    {
        Options = options ?? new HeunSamplerOptions();
        Options.Validate();
    }

    /// <summary>The options.</summary>
    public HeunSamplerOptions Options { get; }

    private string Name => Options.FlowMatching ? "FlowMatchHeun" : "Heun";

    /// <inheritdoc />
    public SigmaSchedule CreateSchedule(IDiffusionProcess process, int steps)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if (EulerFamily.IsFlow(process))
        {
            EulerFamily.CheckFlowGrid(Options, Options.KarrasSigmas, FinalSigma.Zero, Name);
            return SigmaSchedule.Flow(process, steps, Options.Shift);
        }
        if (Options.FlowMatching)
            throw new ArgumentException($"FlowMatchHeun is a flow sampler on a VP model: it needs a rectified-flow process, and {process} is {process.Kind}. Use Heun (diffusers' HeunDiscreteScheduler) for this model.", nameof(process));
        EulerFamily.CheckShift(process, Options.Shift, Name);
        // diffusers' Heun keeps its Karras timesteps in float64 and always ends on clean data.
        return EulerFamily.VariancePreservingGrid(process, steps, Options, Options.KarrasSigmas, null, null, FinalSigma.Zero, float32Timesteps: false, Name);
    }

    /// <inheritdoc />
    public void Validate(SigmaSchedule schedule, PredictionKind kind)
        => EulerFamily.Check(schedule, kind, Options.FlowMatching, Options.Shift, Name, "Heun (diffusers' HeunDiscreteScheduler)");

    /// <inheritdoc />
    /// <remarks>Two per step, one for a last step to clean data.</remarks>
    public int ModelCalls(SigmaSchedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return 2 * schedule.StepCount - (schedule.EndsClean ? 1 : 0);
    }

    /// <inheritdoc />
    public ISamplerRun Start(SigmaSchedule schedule, INoiseSource noise) => new Run(Options, schedule, noise);

    /// <inheritdoc />
    public override string ToString()
    {
        var details = new List<string>();
        if (Options.FlowMatching || Options.Shift != 1) details.Add(FormattableString.Invariant($"shift {Options.Shift}"));
        if (Options.KarrasSigmas) details.Add("Karras");
        string inner = (string.Join(", ", details) + Options.LimitsDescription()).TrimStart(',', ' ');
        return inner.Length == 0 ? Name : $"{Name}({inner})";
    }

    private sealed class Run(HeunSamplerOptions options, SigmaSchedule schedule, INoiseSource noise)
        : EulerFamilyRun(schedule, noise, options.Spacing)
    {
        protected override SamplerStep TakeStep(int index, Tensor sample, IDenoiser denoiser)
        {
            var level = Schedule[index];
            var next = Schedule[index + 1];
            float sigma = StepSigma(level), sigmaNext = StepSigma(next);

            using var scope = NewDisposeScope();
            var x0 = options.Limit(PredictOriginal(denoiser, sample, level, sigma));
            var derivative = (sample - x0) / sigma;
            float dt = sigmaNext - sigma;
            Tensor result;
            if (next.IsClean) result = sample + derivative * dt;
            else
            {
                var predictor = sample + derivative * dt;
                var x0Next = options.Limit(PredictOriginal(denoiser, predictor, next, sigmaNext));
                var derivativeNext = (predictor - x0Next) / sigmaNext;
                result = sample + (derivative + derivativeNext) / 2 * dt;
            }
            return new SamplerStep(scope.MoveToOuter(result), scope.MoveToOuter(x0.alias()));
        }
    }
}
