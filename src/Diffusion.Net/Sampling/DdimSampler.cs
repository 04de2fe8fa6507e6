using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>
/// The DDIM step (Song et al. 2021, eq. 12), as diffusers' <c>DDIMScheduler.step</c>:
/// <code>
/// x̂_0 = (x_t − √(1 − ᾱ_t) ε̂)/√ᾱ_t,  σ = η √((1 − ᾱ_{t′})/(1 − ᾱ_t) · (1 − ᾱ_t/ᾱ_{t′}))
/// x_{t′} = √ᾱ_{t′} x̂_0 + √(1 − ᾱ_{t′} − σ²) ε̂ + σ z
/// </code>
/// η = 0 is deterministic; η = 1 matches DDPM's posterior variance. ᾱ at t′ = −1 is 1 ("set_alpha_to_one").
/// </summary>
public sealed class DdimSampler : ISampler
{
    /// <summary>Creates the sampler.</summary>
    /// <param name="eta">η ∈ [0, 1] (values above 1 are allowed, as in diffusers).</param>
    /// <param name="clipSample">Clip x̂_0 to ±<paramref name="clipSampleRange"/> and recompute ε̂ from it.</param>
    /// <param name="clipSampleRange">The clip range.</param>
    public DdimSampler(double eta = 0.0, bool clipSample = false, double clipSampleRange = 1.0)
    {
        if (!(eta >= 0) || !double.IsFinite(eta)) throw new ArgumentOutOfRangeException(nameof(eta), eta, "η must be a finite non-negative number.");
        if (!(clipSampleRange > 0)) throw new ArgumentOutOfRangeException(nameof(clipSampleRange), clipSampleRange, "Must be positive.");
        Eta = eta;
        ClipSample = clipSample;
        ClipSampleRange = clipSampleRange;
    }

    /// <summary>η.</summary>
    public double Eta { get; }

    /// <summary>Whether x̂_0 is clipped.</summary>
    public bool ClipSample { get; }

    /// <summary>The clip range.</summary>
    public double ClipSampleRange { get; }

    /// <inheritdoc />
    public SamplerStep Step(INoiseSchedule schedule, Tensor sample, NoisePrediction prediction, int timestep, int previousTimestep, INoiseSource noise)
    {
        SamplerMath.CheckStep(schedule, sample, prediction, timestep, previousTimestep, noise);
        var c = StepCoefficients.Compute(schedule, timestep, previousTimestep);

        using var scope = NewDisposeScope();
        var eps = prediction.Epsilon;
        var x0 = (sample - eps * c.SqrtBetaBar) / c.SqrtAlphaBar;
        if (ClipSample)
        {
            x0 = x0.clamp(-ClipSampleRange, ClipSampleRange);
            eps = (sample - x0 * c.SqrtAlphaBar) / c.SqrtBetaBar;
        }
        // σ² = (1 − ᾱ_{t′})/(1 − ᾱ_t) · (1 − ᾱ_t/ᾱ_{t′}) is the posterior variance β̃_t.
        double sigma = Eta * Math.Sqrt(Math.Max(c.BetaBarPrev / c.BetaBar * c.Beta, 0));
        var result = x0 * c.SqrtAlphaBarPrev + eps * Math.Sqrt(Math.Max(c.BetaBarPrev - sigma * sigma, 0));
        if (Eta > 0 && sigma > 0)
        {
            var z = noise.Next(eps.shape, sample.dtype, sample.device);
            result = result + z * sigma;
        }
        return new SamplerStep(scope.MoveToOuter(result), scope.MoveToOuter(x0));
    }

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"DDIM(η={Eta})");
}
