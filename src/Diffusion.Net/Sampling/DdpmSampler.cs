using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>
/// The DDPM ancestral step (Ho et al. 2020, eqs. 6–7) over any stride, as diffusers' <c>DDPMScheduler.step</c> and
/// CS180's loops compute it. With ᾱ_t, ᾱ_{t′} (1 at t′ = −1), α_t = ᾱ_t/ᾱ_{t′}, β_t = 1 − α_t:
/// <code>
/// x̂_0     = (x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t          (then optional thresholding or clipping)
/// x_{t′} = √ᾱ_{t′} β_t / (1 − ᾱ_t) · x̂_0 + √α_t (1 − ᾱ_{t′}) / (1 − ᾱ_t) · x_t + σ z
/// </code>
/// σ follows <see cref="DdpmSamplerOptions.Variance"/>; no noise is drawn when t = 0 (diffusers' rule, CS180's
/// "z = 0 at the last step"). It walks integer timesteps of a discrete schedule; ε, x̂_0 and v outputs are read.
/// </summary>
public sealed class DdpmSampler : ISampler
{
    /// <summary>Creates the sampler.</summary>
    public DdpmSampler(DdpmSamplerOptions? options = null)
    {
        Options = options ?? new DdpmSamplerOptions();
        Options.Validate();
    }

    /// <summary>The options.</summary>
    public DdpmSamplerOptions Options { get; }

    /// <inheritdoc />
    public SigmaSchedule CreateSchedule(IDiffusionProcess process, int steps)
        => DiscreteTimesteps.Create(process, steps, Options, "DDPM");

    /// <inheritdoc />
    public void Validate(SigmaSchedule schedule, PredictionKind kind)
    {
        DiscreteTimesteps.Check(schedule, kind, "DDPM");
        if (Options.Variance == DdpmVariance.LearnedRange && kind != PredictionKind.Epsilon)
            throw new ArgumentException($"The learned-range variance is read from an ε model's variance channels; this model predicts {kind}.", nameof(kind));
    }

    /// <inheritdoc />
    public int ModelCalls(SigmaSchedule schedule) => schedule?.StepCount ?? throw new ArgumentNullException(nameof(schedule));

    /// <inheritdoc />
    public ISamplerRun Start(SigmaSchedule schedule, INoiseSource noise) => new Run(this, schedule, noise);

    /// <inheritdoc />
    public override string ToString() => $"DDPM({Options.Variance}{Options.LimitsDescription()})";

    private sealed class Run(DdpmSampler sampler, SigmaSchedule schedule, INoiseSource noise) : SamplerRun(schedule, noise)
    {
        private readonly INoiseSchedule _table = (INoiseSchedule)schedule.Process;

        protected override SamplerStep TakeStep(int index, Tensor sample, IDenoiser denoiser)
        {
            var options = sampler.Options;
            var level = Schedule[index];
            int t = (int)level.Timestep;
            int previous = DiscreteTimesteps.Previous(Schedule, index);
            var c = StepCoefficients.Compute(_table, t, previous);

            using var scope = NewDisposeScope();
            using var prediction = Call(denoiser, sample, level);
            if (options.Variance == DdpmVariance.LearnedRange && t > 0 && prediction.Variance is null)
                throw new InvalidOperationException("The learned-range variance needs a model with variance channels; this prediction has none. Use DdpmVariance.FixedLarge or FixedSmall.");
            var x0 = options.Limit(prediction.ToOriginal(sample, level));
            var mean = x0 * c.OriginalCoefficient + sample * c.SampleCoefficient;
            if (t > 0)
            {
                var z = Noise.Next(prediction.Output.shape, sample.dtype, sample.device);
                var scaledNoise = options.Variance switch
                {
                    DdpmVariance.FixedLarge => z * Math.Sqrt(c.Beta),
                    DdpmVariance.FixedSmall => z * Math.Sqrt(c.Posterior),
                    _ => LearnedRangeSigma(prediction.Variance!, c.Logs(_table)) * z,
                };
                mean = mean + scaledNoise;
            }
            return new SamplerStep(scope.MoveToOuter(mean), scope.MoveToOuter(x0));
        }

        /// <summary>σ = exp(½ [f log β_t + (1 − f) log β̃_t]) with f = (v + 1)/2.</summary>
        private static Tensor LearnedRangeSigma(Tensor v, (double LogBeta, double LogPosterior) logs)
        {
            var (maxLog, minLog) = logs;
            var frac = (v + 1) / 2;
            var logVariance = frac * maxLog + (1 - frac) * minLog;
            return (logVariance * 0.5).exp();
        }
    }
}
