using System.Diagnostics;
using Diffusion.Net.Imaging;
using Diffusion.Net.Sampling;
using static TorchSharp.torch;

namespace Diffusion.Net.Pipelines;

/// <summary>What the links of one pipeline run share: device, dtype, randomness, progress, cancellation.</summary>
public sealed class PipelineRunContext
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly IProgress<DiffusionProgress>? _progress;
    private readonly List<TrajectoryFrame> _frames = [];

    internal PipelineRunContext(DiffusionRunOptions options, PipelineSettings settings, INoiseSource noise, int totalSteps,
        IProgress<DiffusionProgress>? progress, CancellationToken cancellationToken)
    {
        Device = options.Device ?? CPU;
        DType = options.DType;
        Settings = settings;
        Noise = noise;
        TotalSteps = totalSteps;
        _progress = progress;
        CancellationToken = cancellationToken;
    }

    /// <summary>The device of the run.</summary>
    public Device Device { get; }

    /// <summary>The working dtype.</summary>
    public ScalarType DType { get; }

    /// <summary>The pipeline-wide settings.</summary>
    public PipelineSettings Settings { get; }

    /// <summary>The run's source of random draws.</summary>
    public INoiseSource Noise { get; }

    /// <summary>The cancellation token, checked before every model call.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Steps in the whole run.</summary>
    public int TotalSteps { get; }

    /// <summary>Steps completed so far.</summary>
    public int CompletedSteps { get; private set; }

    /// <summary>Model calls made so far.</summary>
    public int ModelCalls { get; internal set; }

    /// <summary>Wall time since the run started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Whether the state is the run's initial pure-noise draw (no link has changed it yet).</summary>
    internal bool StateIsPureNoise { get; set; }

    internal IReadOnlyList<TrajectoryFrame> Frames => _frames;

    /// <summary>The pixel range of the state: the last denoising loop's model's, or the source image's mark; null when unknown.</summary>
    internal PixelRange? PixelRange { get; set; }

    /// <summary>Records a completed step: progress report and, when due, a trajectory frame (copied to CPU float32).</summary>
    internal void CompleteStep(double timestep, double previousTimestep, string stage, Func<Tensor> sample, Tensor predictedOriginal, bool lastOfLink)
    {
        CompletedSteps++;
        int every = Settings.CaptureEvery;
        if (every > 0 && (CompletedSteps % every == 0 || lastOfLink))
        {
            using var scope = NewDisposeScope();
            var s = sample().detach().to(ScalarType.Float32, CPU).clone().DetachFromDisposeScope();
            var p = predictedOriginal.detach().to(ScalarType.Float32, CPU).clone().DetachFromDisposeScope();
            if (PixelRange is { } range)
            {
                s.WithPixelRange(range);
                p.WithPixelRange(range);
            }
            _frames.Add(new TrajectoryFrame(CompletedSteps, previousTimestep, s, p));
        }
        _progress?.Report(new DiffusionProgress(CompletedSteps, TotalSteps, timestep, previousTimestep, Elapsed, stage, ModelCalls));
    }

    internal void DisposeFrames()
    {
        foreach (var f in _frames) f.Dispose();
        _frames.Clear();
    }
}
