using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Pipelines;

/// <summary>A constraint applied to the state after every sampler step (RePaint-style inpainting is one).</summary>
public interface IStepHook
{
    /// <summary>Checks the hook against the state shape before the run; throws a typed exception on mismatch.</summary>
    void ValidateShape(long[] stateShape);

    /// <summary>Returns the constrained state after a step.</summary>
    /// <param name="sample">The state just reached.</param>
    /// <param name="reached">
    /// The level reached, with the scales of the state as the sampler holds it: state = Alpha·x_0 + Sigma·ε
    /// (<see cref="NoiseLevel.IsClean"/> at the end of a loop that reaches clean data).
    /// </param>
    /// <param name="context">The run.</param>
    Tensor AfterStep(Tensor sample, NoiseLevel reached, PipelineRunContext context);
}
