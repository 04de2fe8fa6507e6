using Diffusion.Net.Prediction;
using static TorchSharp.torch;

namespace Diffusion.Net.Guidance;

/// <summary>
/// Combines noise predictions for one step, e.g. classifier-free guidance. A guidance decides how many forward
/// passes it needs and batches them; callers see one <see cref="NoisePrediction"/>.
/// </summary>
public interface IGuidance
{
    /// <summary>Predicts the guided noise for <paramref name="sample"/>.</summary>
    /// <param name="model">The noise predictor.</param>
    /// <param name="sample">x_t, [B, C, H, W].</param>
    /// <param name="timesteps">int64 [B].</param>
    /// <param name="condition">The condition, already of batch B.</param>
    NoisePrediction Guide(INoisePredictor model, Tensor sample, Tensor timesteps, Condition condition);
}
