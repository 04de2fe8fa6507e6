using Diffusion.Net.Prediction;
using static TorchSharp.torch;

namespace Diffusion.Net.Guidance;

/// <summary>The model's conditional prediction, unchanged (one forward pass).</summary>
public sealed class NoGuidance : IGuidance
{
    /// <summary>The shared instance.</summary>
    public static NoGuidance Instance { get; } = new();

    private NoGuidance() { }

    /// <inheritdoc />
    public ModelPrediction Guide(INoisePredictor model, Tensor sample, Tensor timesteps, Condition condition)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Predict(sample, timesteps, condition);
    }

    /// <inheritdoc />
    public override string ToString() => "no guidance";
}
