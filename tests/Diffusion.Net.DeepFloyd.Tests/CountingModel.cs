using Diffusion.Net.DeepFloyd.Config;
using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Tests;

/// <summary>A user's decorator: forwards everything to the inner stage and counts the model calls and rows predicted.</summary>
internal sealed class CountingModel(IDeepFloydModel inner) : IDeepFloydModel
{
    private int _calls;
    private long _rows;

    public int Calls => _calls;

    public long Rows => Interlocked.Read(ref _rows);

    public IFUNetConfig UNetConfig => inner.UNetConfig;

    public DdpmSchedulerConfig SchedulerConfig => inner.SchedulerConfig;

    public INoiseSchedule Schedule => inner.Schedule;

    public ISampler Sampler => inner.Sampler;

    public INoiseSchedule? ImageNoisingSchedule => inner.ImageNoisingSchedule;

    public T5TextEncoder? TextEncoder => inner.TextEncoder;

    public Device Device => inner.Device;

    public IDiffusionProcess Process => inner.Process;

    public PredictionKind OutputKind => inner.OutputKind;

    public void ValidateSample(long[] sampleShape) => inner.ValidateSample(sampleShape);

    public ModelPrediction Predict(Tensor sample, Tensor timesteps, Condition condition)
    {
        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _rows, sample.shape[0]);
        return inner.Predict(sample, timesteps, condition);
    }
}
