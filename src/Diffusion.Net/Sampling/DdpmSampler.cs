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
/// "z = 0 at the last step").
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
    public SamplerStep Step(INoiseSchedule schedule, Tensor sample, NoisePrediction prediction, int timestep, int previousTimestep, INoiseSource noise)
    {
        SamplerMath.CheckStep(schedule, sample, prediction, timestep, previousTimestep, noise);
        if (Options.Variance == DdpmVariance.LearnedRange && timestep > 0 && prediction.Variance is null)
            throw new InvalidOperationException("The learned-range variance needs a model with variance channels; this prediction has none. Use DdpmVariance.FixedLarge or FixedSmall.");

        var c = StepCoefficients.Compute(schedule, timestep, previousTimestep);

        using var scope = NewDisposeScope();
        var x0 = (sample - prediction.Epsilon * c.SqrtBetaBar) / c.SqrtAlphaBar;
        if (Options.Thresholding) x0 = SamplerMath.DynamicThreshold(x0, Options.ThresholdingRatio, Options.SampleMaxValue);
        else if (Options.ClipSample) x0 = x0.clamp(-Options.ClipSampleRange, Options.ClipSampleRange);
        if (Options.DataRange is { } range) x0 = x0.clamp(range.Min, range.Max);

        var mean = x0 * c.OriginalCoefficient + sample * c.SampleCoefficient;
        if (timestep > 0)
        {
            var z = noise.Next(prediction.Epsilon.shape, sample.dtype, sample.device);
            var scaledNoise = Options.Variance switch
            {
                DdpmVariance.FixedLarge => z * Math.Sqrt(c.Beta),
                DdpmVariance.FixedSmall => z * Math.Sqrt(c.Posterior),
                _ => LearnedRangeSigma(prediction.Variance!, c.Logs(schedule)) * z,
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

    /// <inheritdoc />
    public override string ToString() => $"DDPM({Options.Variance}{(Options.Thresholding ? ", thresholding" : Options.ClipSample ? ", clip" : "")})";
}
