using Diffusion.Net.Schedules;

namespace Diffusion.Net.Prediction;

/// <summary>A noise predictor that knows the diffusion process it was trained on.</summary>
public interface IDiffusionModel : INoisePredictor
{
    /// <summary>The training process (a discrete schedule or rectified flow), read by samplers and the forward process.</summary>
    IDiffusionProcess Process { get; }
}
