using static TorchSharp.torch;

namespace Diffusion.Net.Prediction;

/// <summary>
/// A network that predicts the noise ε in a noisy sample x_t (and optionally a variance), given the timestep and a
/// condition. Everything in the core (guidance, views, samplers, pipelines) works with any implementation: the
/// DeepFloyd IF UNets, the CS180 MNIST UNets, or an analytic predictor in a test.
/// </summary>
public interface INoisePredictor
{
    /// <summary>Predicts ε for a batch.</summary>
    /// <param name="sample">x_t, shape [B, C, H, W].</param>
    /// <param name="timesteps">Integer timestep indices, int64 of shape [B] (see <see cref="Schedules.INoiseSchedule"/>).</param>
    /// <param name="condition">What to condition on; its batch must be B or broadcastable to B.</param>
    /// <returns>The prediction; the caller owns it.</returns>
    NoisePrediction Predict(Tensor sample, Tensor timesteps, Condition condition);
}
