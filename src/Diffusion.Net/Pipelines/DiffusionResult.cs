using Diffusion.Net.Imaging;
using static TorchSharp.torch;

namespace Diffusion.Net.Pipelines;

/// <summary>The output of a pipeline run: the final sample and any captured trajectory. It owns all its tensors.</summary>
public sealed class DiffusionResult : IDisposable
{
    internal DiffusionResult(Tensor sample, IReadOnlyList<TrajectoryFrame> trajectory, TimeSpan elapsed, long seed)
    {
        Sample = sample;
        Trajectory = trajectory;
        Elapsed = elapsed;
        Seed = seed;
    }

    /// <summary>The final sample, on the run's device and dtype, marked with its <see cref="PixelRange"/>.</summary>
    public Tensor Sample { get; }

    /// <summary>
    /// The pixel range of <see cref="Sample"/> and the trajectory: the last denoising model's
    /// (<see cref="Prediction.INoisePredictor.PixelRange"/>), or the source image's mark when the run denoises nothing;
    /// [−1, 1] when neither says.
    /// </summary>
    public PixelRange PixelRange => Sample.GetPixelRange() ?? PixelRange.MinusOneToOne;

    /// <summary>Captured frames (empty unless <see cref="DiffusionPipeline.CaptureTrajectory"/> was requested).</summary>
    public IReadOnlyList<TrajectoryFrame> Trajectory { get; }

    /// <summary>Wall time of the run.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>The seed used.</summary>
    public long Seed { get; }

    /// <summary>Hands the final sample to the caller, who then owns it, and disposes the rest.</summary>
    public Tensor TakeSample()
    {
        var s = Sample.alias();
        if (Sample.GetPixelRange() is { } range) s.WithPixelRange(range);
        Dispose();
        return s;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Sample.Dispose();
        foreach (var f in Trajectory) f.Dispose();
    }
}
