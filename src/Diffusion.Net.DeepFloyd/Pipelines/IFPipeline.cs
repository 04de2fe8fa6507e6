using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.Guidance;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Pipelines;

/// <summary>
/// Text → 64×64 with DeepFloyd IF stage I, with diffusers' IFPipeline semantics: the initial noise is the
/// generator's first draw, then one draw per step with t &gt; 0; with CFG the batch is [negative; positive], only ε
/// is guided and the variance comes from the conditional half; the scheduler step uses the learned-range variance and
/// dynamic thresholding of <c>scheduler_config.json</c>; every timestep, including the last, is stepped. Any other
/// sampler can take the DDPM's place (<see cref="IFGenerationOptions.Sampler"/>); it reads the ε half of the 6-channel output.
/// </summary>
public sealed class IFPipeline(DeepFloydModel stage1)
{
    private readonly DeepFloydModel _stage1 = stage1 ?? throw new ArgumentNullException(nameof(stage1));

    /// <summary>The pipeline as a core chain (to add steps or inspect it).</summary>
    public DiffusionPipeline Build(TextCondition prompts, TextCondition negative, IFGenerationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(negative);
        options ??= new IFGenerationOptions();
        options.Validate();
        if (_stage1.IsSuperResolution) throw new InvalidOperationException("IFPipeline needs a stage I model; this is stage II (use IFSuperResolutionPipeline).");
        int size = options.Size ?? _stage1.SampleSize;
        var positive = Repeat(prompts, options.ImagesPerPrompt);
        int batch = (int)positive.Embeddings.shape[0];
        var start = DiffusionPipeline.FromNoise(batch, _stage1.UNet.Config.SampleChannels, size, size);
        var pipeline = (options.Timesteps is { } timesteps ? start.Denoise(_stage1, timesteps.ThroughLast(), positive) : start.Denoise(_stage1, options.Steps, positive))
            .WithSampler(options.Sampler ?? _stage1.Sampler)
            .WithGuidance(options.GuidanceScale > 1 ? Guide.ClassifierFree(options.GuidanceScale, negative) : Guide.None);
        return options.CaptureEvery > 0 ? pipeline.CaptureTrajectory(options.CaptureEvery) : pipeline;
    }

    /// <summary>Generates images in [−1, 1] (B·ImagesPerPrompt, 3, 64, 64).</summary>
    public DiffusionResult Generate(TextCondition prompts, TextCondition negative, IFGenerationOptions? options = null,
        IProgress<DiffusionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new IFGenerationOptions();
        return Build(prompts, negative, options).Run(new DiffusionRunOptions { Seed = options.Seed }, progress, cancellationToken);
    }

    internal static TextCondition Repeat(TextCondition prompts, int times)
        => times == 1 ? prompts : new TextCondition(prompts.Embeddings.repeat_interleave(times, 0), prompts.AttentionMask?.repeat_interleave(times, 0));
}
