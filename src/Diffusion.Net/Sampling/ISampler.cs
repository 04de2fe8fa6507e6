using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>
/// One reverse-diffusion step x_t → x_{t′} (t′ &lt; t, any stride; t′ = −1 is clean data), given the noise
/// estimate at t. Samplers hold no weights and no per-run state, so one instance serves any number of runs.
/// </summary>
public interface ISampler
{
    /// <summary>Takes one step.</summary>
    /// <param name="schedule">The schedule the model was trained with.</param>
    /// <param name="sample">x_t, [B, C, H, W].</param>
    /// <param name="prediction">The (guided) noise estimate at t.</param>
    /// <param name="timestep">t.</param>
    /// <param name="previousTimestep">t′ &lt; t, or −1.</param>
    /// <param name="noise">The source of any random draw.</param>
    /// <returns>x_{t′} and the x̂_0 estimate; the caller owns both.</returns>
    SamplerStep Step(INoiseSchedule schedule, Tensor sample, NoisePrediction prediction, int timestep, int previousTimestep, INoiseSource noise);
}

/// <summary>The result of a sampler step.</summary>
public sealed class SamplerStep : IDisposable
{
    /// <summary>Wraps the two tensors (owned).</summary>
    public SamplerStep(Tensor previousSample, Tensor predictedOriginal)
    {
        PreviousSample = previousSample ?? throw new ArgumentNullException(nameof(previousSample));
        PredictedOriginal = predictedOriginal ?? throw new ArgumentNullException(nameof(predictedOriginal));
    }

    /// <summary>x_{t′}.</summary>
    public Tensor PreviousSample { get; }

    /// <summary>x̂_0 (after any clipping or thresholding).</summary>
    public Tensor PredictedOriginal { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        PreviousSample.Dispose();
        PredictedOriginal.Dispose();
    }
}
