using static TorchSharp.torch;

namespace Diffusion.Net.Pipelines;

/// <summary>One captured state of a denoising loop (owned by the <see cref="DiffusionResult"/> that holds it).</summary>
/// <param name="Step">The run-wide step index after which the frame was taken.</param>
/// <param name="Timestep">The model timestep of <paramref name="Sample"/>'s level (the process's clean timestep, −1 for a discrete schedule, at the end).</param>
/// <param name="Sample">x at that level, in the process's own scaling (CPU, float32).</param>
/// <param name="PredictedOriginal">The x̂_0 estimate of that step (CPU, float32).</param>
public sealed record TrajectoryFrame(int Step, double Timestep, Tensor Sample, Tensor PredictedOriginal) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        Sample.Dispose();
        PredictedOriginal.Dispose();
    }
}
