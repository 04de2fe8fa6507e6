using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Pipelines;

/// <summary>A constraint applied to the state after every denoising step (RePaint-style inpainting is one).</summary>
public interface IStepHook
{
    /// <summary>Checks the hook against the state shape before the run; throws a typed exception on mismatch.</summary>
    void ValidateShape(long[] stateShape);

    /// <summary>Returns the constrained state at <paramref name="timestep"/> (the timestep just reached; −1 = clean).</summary>
    Tensor AfterStep(Tensor sample, int timestep, INoiseSchedule schedule, PipelineRunContext context);
}
