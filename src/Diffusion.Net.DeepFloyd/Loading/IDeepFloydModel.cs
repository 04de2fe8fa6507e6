using Diffusion.Net.DeepFloyd.Config;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Loading;

/// <summary>
/// What the IF pipelines (<c>IFPipeline</c>, <c>IFSuperResolutionPipeline</c>), <c>DeepFloydPartA</c> and
/// <c>IFPromptEncoder</c> need from a DeepFloyd IF stage. <see cref="DeepFloydModel"/> implements it; a decorator that
/// forwards every member to an inner model (to log or count calls, cache predictions, or meter a shared model) can
/// stand in for it anywhere.
/// </summary>
/// <remarks>
/// <see cref="INoisePredictor.OutputKind"/> and <see cref="INoisePredictor.ValidateSample"/> are abstract again here, so
/// a decorator must forward them too: the defaults (ε, accept every shape) would silently drop the stage's checks.
/// </remarks>
public interface IDeepFloydModel : IDiffusionModel
{
    /// <summary>The UNet's config (sample size and channels, the text-embedding width it takes, stage I or II).</summary>
    IFUNetConfig UNetConfig { get; }

    /// <summary>The scheduler config (<c>scheduler/scheduler_config.json</c>): variance, thresholding, spacing.</summary>
    DdpmSchedulerConfig SchedulerConfig { get; }

    /// <summary>The training schedule (the discrete variance-preserving table).</summary>
    INoiseSchedule Schedule { get; }

    /// <summary>The pipelines' default sampler, from <see cref="SchedulerConfig"/>.</summary>
    ISampler Sampler { get; }

    /// <summary>Stage II's image-noising schedule (noises the upscaled image to the noise level), or null for stage I.</summary>
    INoiseSchedule? ImageNoisingSchedule { get; }

    /// <summary>The T5 text encoder and tokenizer, or null when they were not loaded (<see cref="DeepFloydOptions.LoadTextEncoder"/>).</summary>
    T5TextEncoder? TextEncoder { get; }

    /// <summary>The device the weights live on; the pipelines run there.</summary>
    Device Device { get; }

    /// <summary>Whether this is a stage II (super-resolution) model.</summary>
    bool IsSuperResolution => UNetConfig.IsSuperResolution;

    /// <summary>The image size the model was trained at.</summary>
    int SampleSize => UNetConfig.SampleSize;

    /// <summary>What the UNet predicts.</summary>
    abstract PredictionKind INoisePredictor.OutputKind { get; }

    /// <summary>Throws <see cref="ArgumentException"/> when the UNet cannot take states of <paramref name="sampleShape"/>.</summary>
    abstract void INoisePredictor.ValidateSample(long[] sampleShape);
}
