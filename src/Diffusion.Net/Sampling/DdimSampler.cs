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
/// η = 0 is deterministic; η = 1 matches DDPM's posterior variance. ᾱ at t′ = −1 is 1 (<c>set_alpha_to_one</c>). When
/// x̂_0 is limited (thresholding, clipping, a data range), ε̂ is recomputed from it, as diffusers does.
/// </summary>
/// <remarks>
/// t′ is the next level of the schedule. diffusers steps to t − T/n instead, which is the same for its leading and
/// trailing spacings and lands between grid points for linspace; following the grid keeps every step on it.
/// </remarks>
public sealed class DdimSampler : ISampler
{
    /// <summary>Creates the sampler.</summary>
    public DdimSampler(DdimSamplerOptions? options = null)
    {
        Options = options ?? new DdimSamplerOptions();
        Options.Validate();
    }

    /// <summary>Creates the sampler with η (0 = deterministic) and diffusers' other defaults.</summary>
    public DdimSampler(double eta) : this(new DdimSamplerOptions { Eta = eta }) { }

    /// <summary>The options.</summary>
    public DdimSamplerOptions Options { get; }

    /// <summary>η.</summary>
    public double Eta => Options.Eta;

    /// <inheritdoc />
    public SigmaSchedule CreateSchedule(IDiffusionProcess process, int steps)
        => DiscreteTimesteps.Create(process, steps, Options, "DDIM");

    /// <inheritdoc />
    public void Validate(SigmaSchedule schedule, PredictionKind kind) => DiscreteTimesteps.Check(schedule, kind, "DDIM");

    /// <inheritdoc />
    public int ModelCalls(SigmaSchedule schedule) => schedule?.StepCount ?? throw new ArgumentNullException(nameof(schedule));

    /// <inheritdoc />
    public ISamplerRun Start(SigmaSchedule schedule, INoiseSource noise) => new Run(this, schedule, noise);

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"DDIM(η={Eta}{Options.LimitsDescription()})");

    private sealed class Run(DdimSampler sampler, SigmaSchedule schedule, INoiseSource noise) : SamplerRun(schedule, noise)
    {
        private readonly INoiseSchedule _table = (INoiseSchedule)schedule.Process;

        protected override SamplerStep TakeStep(int index, Tensor sample, IDenoiser denoiser)
        {
            var options = sampler.Options;
            var level = Schedule[index];
            var c = StepCoefficients.Compute(_table, (int)level.Timestep, DiscreteTimesteps.Previous(Schedule, index));

            using var scope = NewDisposeScope();
            using var prediction = Call(denoiser, sample, level);
            var x0 = prediction.ToOriginal(sample, level);
            var eps = prediction.ToEpsilon(sample, level);
            if (options.LimitsOriginal)
            {
                x0 = options.Limit(x0);
                eps = (sample - x0 * c.SqrtAlphaBar) / c.SqrtBetaBar;
            }
            // σ² = (1 − ᾱ_{t′})/(1 − ᾱ_t) · (1 − ᾱ_t/ᾱ_{t′}) is the posterior variance β̃_t.
            double sigma = options.Eta * Math.Sqrt(Math.Max(c.BetaBarPrev / c.BetaBar * c.Beta, 0));
            var result = x0 * c.SqrtAlphaBarPrev + eps * Math.Sqrt(Math.Max(c.BetaBarPrev - sigma * sigma, 0));
            if (options.Eta > 0)
            {
                // diffusers draws whenever η > 0, also on a last step whose σ is 0, so later draws keep its order.
                var z = Noise.Next(prediction.Output.shape, sample.dtype, sample.device);
                result = result + z * sigma;
            }
            return new SamplerStep(scope.MoveToOuter(result), scope.MoveToOuter(x0));
        }
    }
}
