using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>
/// One-step denoising (CS180 Part A §1.3): jump straight to x̂_0 = (x_t − √(1 − ᾱ_t) ε̂)/√ᾱ_t, whatever the
/// previous timestep. Use it with a one-step sequence such as <c>Timesteps.Custom(t)</c>.
/// </summary>
public sealed class OneStepSampler : ISampler
{
    /// <summary>The shared instance.</summary>
    public static OneStepSampler Instance { get; } = new();

    private OneStepSampler() { }

    /// <inheritdoc />
    public SamplerStep Step(INoiseSchedule schedule, Tensor sample, NoisePrediction prediction, int timestep, int previousTimestep, INoiseSource noise)
    {
        SamplerMath.CheckStep(schedule, sample, prediction, timestep, previousTimestep, noise);
        var x0 = SamplerMath.PredictOriginal(schedule, sample, prediction.Epsilon, timestep);
        return new SamplerStep(x0, x0.alias());
    }

    /// <inheritdoc />
    public override string ToString() => "one-step x̂0";
}
