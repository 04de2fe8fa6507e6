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

    /// <summary>The final sample, on the run's device and dtype.</summary>
    public Tensor Sample { get; }

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
