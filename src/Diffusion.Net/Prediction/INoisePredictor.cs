using Diffusion.Net.Imaging;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Prediction;

/// <summary>
/// A network that predicts, from a noisy sample x_τ, the timestep and a condition, what its <see cref="OutputKind"/>
/// says (the noise ε, the clean sample, a velocity), optionally with variance channels. Everything in the core
/// (guidance, views, samplers, pipelines) works with any implementation: the DeepFloyd IF UNets, the CS180 MNIST
/// UNets, or an analytic predictor in a test.
/// </summary>
public interface INoisePredictor
{
    /// <summary>What the model's output means (ε unless the model says otherwise).</summary>
    PredictionKind OutputKind => PredictionKind.Epsilon;

    /// <summary>Predicts for a batch.</summary>
    /// <param name="sample">x_τ, shape [B, C, H, W].</param>
    /// <param name="timesteps">
    /// The model's timesteps, [B] (float32 from the pipelines; fractional where a σ-space sampler asks for one, as
    /// diffusers passes them; see <see cref="IDiffusionProcess"/>).
    /// </param>
    /// <param name="condition">What to condition on; its batch must be B or broadcastable to B.</param>
    /// <returns>The prediction, of <see cref="OutputKind"/>; the caller owns it.</returns>
    ModelPrediction Predict(Tensor sample, Tensor timesteps, Condition condition);

    /// <summary>
    /// Throws <see cref="ArgumentException"/> when the network cannot take states of <paramref name="sampleShape"/>
    /// ([B, C, H, W]: wrong channels, a size its down-sampling cannot divide). Pipelines call it from
    /// <c>Validate()</c>, before any tensor work. The default accepts every shape.
    /// </summary>
    void ValidateSample(long[] sampleShape)
    {
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> (or <see cref="ArgumentOutOfRangeException"/>) when the network cannot
    /// take <paramref name="condition"/>: a class label beyond its classes, a kind of condition it has no input for.
    /// Pipelines call it from <c>Validate()</c>, before the run's first model call. The default accepts every condition.
    /// </summary>
    void ValidateCondition(Condition condition)
    {
    }

    /// <summary>
    /// The pixel range of the data the model was trained on: [−1, 1] unless the model says otherwise (the CS180 MNIST
    /// UNets say [0, 1]). Pipelines mark their samples with it (<see cref="PixelRanges"/>), so that saving a sample
    /// without naming a range shows it as the model's data.
    /// </summary>
    PixelRange PixelRange => PixelRange.MinusOneToOne;
}
