using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>
/// What every sampler run shares: the schedule, the step counter, the noise source, the check that the denoiser
/// returns what the sampler was validated for, and disposal of the history a subclass keeps.
/// </summary>
internal abstract class SamplerRun : ISamplerRun
{
    private bool _disposed;

    protected SamplerRun(SigmaSchedule schedule, INoiseSource noise)
    {
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        Noise = noise ?? throw new ArgumentNullException(nameof(noise));
    }

    public SigmaSchedule Schedule { get; }

    public int StepIndex { get; private set; }

    protected INoiseSource Noise { get; }

    public virtual double StateScale(int levelIndex) => 1;

    public virtual Tensor Begin(Tensor sample, bool pureNoise)
    {
        ArgumentNullException.ThrowIfNull(sample);
        double scale = StateScale(0);
        return scale == 1 ? sample.alias() : sample * scale;
    }

    public SamplerStep Step(Tensor state, IDenoiser denoiser)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(denoiser);
        if (StepIndex >= Schedule.StepCount)
            throw new InvalidOperationException($"The run has taken all {Schedule.StepCount} steps of its schedule.");
        var step = TakeStep(StepIndex, state, denoiser);
        StepIndex++;
        return step;
    }

    /// <summary>Step <paramref name="index"/>, from <paramref name="state"/> at level index to level index + 1.</summary>
    protected abstract SamplerStep TakeStep(int index, Tensor state, IDenoiser denoiser);

    /// <summary>One model call; the caller owns the prediction.</summary>
    protected static ModelPrediction Call(IDenoiser denoiser, Tensor sample, NoiseLevel level)
    {
        var prediction = denoiser.Predict(sample, level);
        if (!prediction.Output.shape.SequenceEqual(sample.shape))
        {
            var shape = prediction.Output.shape;
            prediction.Dispose();
            throw new InvalidOperationException($"The model returned a prediction of shape [{Guard.Shape(shape)}] for a sample of shape [{Guard.Shape(sample.shape)}].");
        }
        return prediction;
    }

    /// <summary>Releases the history a subclass keeps.</summary>
    protected virtual void DisposeHistory() { }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        DisposeHistory();
    }
}
