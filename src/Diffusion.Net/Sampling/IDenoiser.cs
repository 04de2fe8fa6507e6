using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>
/// What a sampler step calls: the model behind its guidance, views and conditioning, with the pipeline's cancellation,
/// counting and any recording around every call. A sampler decides how many calls a step makes.
/// </summary>
public interface IDenoiser
{
    /// <summary>The kind of prediction <see cref="Predict"/> returns.</summary>
    PredictionKind Kind { get; }

    /// <summary>Predicts for <paramref name="sample"/>, the process's x (unscaled) at <paramref name="level"/>.</summary>
    /// <returns>The prediction; the caller owns it.</returns>
    ModelPrediction Predict(Tensor sample, NoiseLevel level);
}
