using Diffusion.Net.Prediction;
using static TorchSharp.torch;

namespace Diffusion.Net.Guidance;

/// <summary>
/// Combines model predictions for one model call, e.g. classifier-free guidance. A guidance decides how many forward
/// passes it needs and batches them; callers see one <see cref="ModelPrediction"/>.
/// </summary>
public interface IGuidance
{
    /// <summary>Predicts the guided output for <paramref name="sample"/>.</summary>
    /// <param name="model">The noise predictor.</param>
    /// <param name="sample">x_t, [B, C, H, W].</param>
    /// <param name="timesteps">The model timesteps, [B] (float32).</param>
    /// <param name="condition">The condition, already of batch B.</param>
    ModelPrediction Guide(INoisePredictor model, Tensor sample, Tensor timesteps, Condition condition);
}
