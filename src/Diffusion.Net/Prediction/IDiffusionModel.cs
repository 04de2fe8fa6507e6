using Diffusion.Net.Schedules;

namespace Diffusion.Net.Prediction;

/// <summary>A noise predictor that knows the noise schedule it was trained with.</summary>
public interface IDiffusionModel : INoisePredictor
{
    /// <summary>The training schedule (used by samplers and the forward process).</summary>
    INoiseSchedule Schedule { get; }
}
