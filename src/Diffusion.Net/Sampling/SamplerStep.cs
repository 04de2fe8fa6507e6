using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>The result of one sampler step: the state at the next level and the step's x̂_0 estimate. It owns both.</summary>
public sealed class SamplerStep : IDisposable
{
    /// <summary>Wraps the two tensors (owned).</summary>
    public SamplerStep(Tensor next, Tensor predictedOriginal)
    {
        Next = next ?? throw new ArgumentNullException(nameof(next));
        PredictedOriginal = predictedOriginal ?? throw new ArgumentNullException(nameof(predictedOriginal));
    }

    /// <summary>The state at the next level.</summary>
    public Tensor Next { get; }

    /// <summary>x̂_0 (after any clipping or thresholding).</summary>
    public Tensor PredictedOriginal { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Next.Dispose();
        PredictedOriginal.Dispose();
    }
}
