using static TorchSharp.torch;

namespace Diffusion.Net.Pipelines;

/// <summary>One captured state of a denoising loop (owned by the <see cref="DiffusionResult"/> that holds it).</summary>
/// <param name="Step">The run-wide step index after which the frame was taken.</param>
/// <param name="Timestep">The timestep of <paramref name="Sample"/> (−1 = clean).</param>
/// <param name="Sample">x at that timestep (CPU, float32).</param>
/// <param name="PredictedOriginal">The x̂_0 estimate of that step (CPU, float32).</param>
public sealed record TrajectoryFrame(int Step, int Timestep, Tensor Sample, Tensor PredictedOriginal) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        Sample.Dispose();
        PredictedOriginal.Dispose();
    }
}
