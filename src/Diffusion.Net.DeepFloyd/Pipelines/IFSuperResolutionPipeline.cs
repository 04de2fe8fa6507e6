using System.Globalization;
using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.Prompts;
using Diffusion.Net.Guidance;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Pipelines;

/// <summary>
/// 64 → 256 with DeepFloyd IF stage II, with diffusers' IFSuperResolutionPipeline semantics: draw x (first), upscale
/// the low-resolution image bilinearly (align_corners), draw its noise (second) and noise it to the noise level with
/// the image-noising scheduler, then denoise with the stage II UNet taking cat([x_t, upscaled]) and the noise level
/// as class label, CFG on ε only with the conditional variance, one noise draw per step.
/// </summary>
/// <remarks>
/// Prompts are embeddings or strings (through <see cref="PromptEncoder"/>: stage II's own T5 if loaded, or pass stage I's
/// encoder, <c>new IFPromptEncoder(stage1)</c>, so T5 is held once). No per-run state is kept: one instance may serve
/// concurrent requests; each request is logged at Debug level.
/// </remarks>
public sealed class IFSuperResolutionPipeline
{
    private readonly IDeepFloydModel _stage2;
    private readonly ILogger _logger;

    /// <summary>Creates the pipeline on stage II.</summary>
    /// <param name="stage2">The stage II model (a <see cref="DeepFloydModel"/> or a decorator of one).</param>
    /// <param name="promptEncoder">How prompt strings become embeddings (default: the stage's own T5, if loaded).</param>
    /// <param name="logger">Receives one Debug entry per request.</param>
    public IFSuperResolutionPipeline(IDeepFloydModel stage2, IFPromptEncoder? promptEncoder = null, ILogger? logger = null)
    {
        _stage2 = stage2 ?? throw new ArgumentNullException(nameof(stage2));
        PromptEncoder = promptEncoder ?? new IFPromptEncoder(stage2);
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The model.</summary>
    public IDeepFloydModel Model => _stage2;

    /// <summary>How prompt strings are encoded.</summary>
    public IFPromptEncoder PromptEncoder { get; }

    /// <summary>
    /// The pipeline as a core chain, validated. It makes diffusers' first two draws now, x and then the upscaled
    /// image's noise, from <see cref="IFSuperResolutionOptions.NoiseSource"/> (or a generator seeded with
    /// <see cref="IFSuperResolutionOptions.Seed"/>), and starts from that x. Run it with <see cref="RunOptions"/>: with a
    /// noise source the per-step draws continue its stream, exactly as <see cref="Upscale(Tensor, TextCondition, TextCondition, IFSuperResolutionOptions?, IProgress{DiffusionProgress}?, CancellationToken)"/>;
    /// with only a seed they come from the run's own generator. The tensors it makes (x, the noised image) must outlive
    /// the runs: build inside a <c>torch.NewDisposeScope()</c> that ends after the last run, or leave them to the GC.
    /// </summary>
    public DiffusionPipeline Build(Tensor image, TextCondition prompts, TextCondition negative, IFSuperResolutionOptions? options = null)
    {
        options ??= new IFSuperResolutionOptions();
        if (options.NoiseSource is { } source) return Build(image, prompts, negative, options, source, null);
        options.Validate();
        using var generator = new Generator((ulong)options.Seed, CPU);
        return Build(image, prompts, negative, options, new GeneratorNoiseSource(generator), null);
    }

    /// <summary><see cref="Build(Tensor, TextCondition, TextCondition, IFSuperResolutionOptions?)"/> from prompt strings (one, or one per image).</summary>
    /// <exception cref="NotSupportedException">No T5 encoder is loaded and no store holds a prompt.</exception>
    public DiffusionPipeline Build(Tensor image, IReadOnlyList<string> prompts, string negativePrompt = "", IFSuperResolutionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        (options ?? new IFSuperResolutionOptions()).Validate();
        CheckStage();
        var (positive, negative) = PipelineInputs.Encode(PromptEncoder, prompts, negativePrompt);
        return Build(image, positive, negative, options);
    }

    /// <summary>The run options of a built pipeline: the seed or noise source, on the model's device.</summary>
    public DiffusionRunOptions RunOptions(IFSuperResolutionOptions? options = null)
    {
        options ??= new IFSuperResolutionOptions();
        return new DiffusionRunOptions { Seed = options.Seed, NoiseSource = options.NoiseSource, Device = _stage2.Device };
    }

    /// <summary>Upscales <paramref name="image"/> ([B, 3, h, w] in [−1, 1]) to the stage II size (B·ImagesPerPrompt images).</summary>
    public DiffusionResult Upscale(Tensor image, TextCondition prompts, TextCondition negative, IFSuperResolutionOptions? options = null,
        IProgress<DiffusionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new IFSuperResolutionOptions();
        using var generator = options.NoiseSource is null ? new Generator((ulong)options.Seed, CPU) : null;
        // One stream for everything, as diffusers: x, the image's noise, then the per-step draws.
        var noise = options.NoiseSource ?? new GeneratorNoiseSource(generator!);
        var created = new List<Tensor>();
        try
        {
            var pipeline = Build(image, prompts, negative, options, noise, created);
            if (_logger.IsEnabled(LogLevel.Debug))
                _logger.LogDebug("IF stage II: {Images} images to {Size} px, {Steps} steps, noise level {NoiseLevel}, guidance {Guidance}, seed {Seed}",
                    pipeline.Validate()[0], _stage2.SampleSize, pipeline.TotalDenoisingSteps, options.NoiseLevel, options.GuidanceScale,
                    options.NoiseSource is null ? options.Seed.ToString(CultureInfo.InvariantCulture) : "(caller's noise source)");
            return pipeline.Run(RunOptions(options) with { NoiseSource = noise }, progress, cancellationToken);
        }
        finally
        {
            PipelineInputs.Dispose(created);
        }
    }

    /// <summary>Upscales with one prompt string for every image (e.g. the prompt stage I was given).</summary>
    /// <exception cref="NotSupportedException">No T5 encoder is loaded and no store holds a prompt; the message names both options.</exception>
    public DiffusionResult Upscale(Tensor image, string prompt, string negativePrompt = "", IFSuperResolutionOptions? options = null,
        IProgress<DiffusionProgress>? progress = null, CancellationToken cancellationToken = default)
        => Upscale(image, PipelineInputs.One(prompt), negativePrompt, options, progress, cancellationToken);

    /// <summary>Upscales with prompt strings (one, or one per image); the embeddings are freed afterwards.</summary>
    /// <exception cref="NotSupportedException">No T5 encoder is loaded and no store holds a prompt; the message names both options.</exception>
    public DiffusionResult Upscale(Tensor image, IReadOnlyList<string> prompts, string negativePrompt = "", IFSuperResolutionOptions? options = null,
        IProgress<DiffusionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        (options ?? new IFSuperResolutionOptions()).Validate();
        CheckStage();
        CheckImage(image);
        cancellationToken.ThrowIfCancellationRequested();
        var (positive, negative) = PipelineInputs.Encode(PromptEncoder, prompts, negativePrompt);
        try
        {
            return Upscale(image, positive, negative, options, progress, cancellationToken);
        }
        finally
        {
            PipelineInputs.Dispose(positive, negative);
        }
    }

    private DiffusionPipeline Build(Tensor image, TextCondition prompts, TextCondition negative, IFSuperResolutionOptions options,
        INoiseSource noise, List<Tensor>? created)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(negative);
        options.Validate();
        CheckStage();
        CheckImage(image);
        var imageNoising = _stage2.ImageNoisingSchedule
                           ?? throw new InvalidOperationException("The stage II model has no image-noising schedule (image_noising_scheduler/).");
        if (options.NoiseLevel >= imageNoising.Length)
            throw new ArgumentOutOfRangeException(nameof(options), options.NoiseLevel, $"The noise level must lie in [0, {imageNoising.Length - 1}].");
        PipelineInputs.CheckText(_stage2, prompts, nameof(prompts));
        PipelineInputs.CheckText(_stage2, negative, nameof(negative));
        long b = image.shape[0];
        int perImage = options.ImagesPerPrompt;
        int batch = checked((int)b * perImage);
        long pb = prompts.Embeddings.shape[0];
        if (pb != 1 && pb != b) throw new ArgumentException($"{pb} prompts for {b} images: give one prompt, or one per image.", nameof(prompts));
        var positive = pb == 1 ? prompts : PipelineInputs.RepeatInterleave(prompts, perImage, created);
        var unconditional = PipelineInputs.Negative(negative, (int)b, perImage, nameof(negative), created);
        int size = _stage2.SampleSize;
        var device = _stage2.Device;

        var x = noise.Next([batch, _stage2.UNetConfig.SampleChannels, size, size], ScalarType.Float32, device);
        created?.Add(x);
        Tensor noised;
        using (var scope = NewDisposeScope())
        {
            var low = image.to(ScalarType.Float32, CPU);
            if (perImage > 1) low = low.repeat_interleave(perImage, 0);
            var upscaled = nn.functional.interpolate(low, [size, size], mode: InterpolationMode.Bilinear, align_corners: true);
            var upscaleNoise = noise.Next(upscaled.shape, ScalarType.Float32, CPU);
            noised = scope.MoveToOuter(ForwardProcess.AddNoise(imageNoising, upscaled, upscaleNoise, options.NoiseLevel).to(device));
        }
        created?.Add(noised);
        var level = full(batch, (long)options.NoiseLevel, ScalarType.Int64, device);
        created?.Add(level);
        var imageCondition = new ImageCondition(noised, level);
        var start = DiffusionPipeline.FromNoise(x);
        var pipeline = (options.Timesteps is { } timesteps
                ? start.Denoise(_stage2, timesteps.ThroughLast(), Condition.Combine(positive.Repeat(batch), imageCondition))
                : start.Denoise(_stage2, options.Steps, Condition.Combine(positive.Repeat(batch), imageCondition)))
            .WithSampler(options.Sampler ?? _stage2.Sampler)
            .WithGuidance(options.GuidanceScale > 1 ? Guide.ClassifierFree(options.GuidanceScale, Condition.Combine(unconditional.Repeat(batch), imageCondition)) : Guide.None);
        if (options.CaptureEvery > 0) pipeline = pipeline.CaptureTrajectory(options.CaptureEvery);
        pipeline.Validate();
        return pipeline;
    }

    private void CheckStage()
    {
        if (!_stage2.IsSuperResolution) throw new InvalidOperationException("IFSuperResolutionPipeline needs a stage II model; this is stage I (use IFPipeline).");
    }

    private void CheckImage(Tensor image)
    {
        int channels = _stage2.UNetConfig.SampleChannels;
        if (image.dim() != 4 || image.shape[1] != channels)
            throw new ArgumentException($"The low-resolution image must be [B, {channels}, h, w]; got [{string.Join(", ", image.shape)}].", nameof(image));
        if (image.shape[0] < 1 || image.shape[2] < 1 || image.shape[3] < 1)
            throw new ArgumentException($"The low-resolution image has an empty dimension: [{string.Join(", ", image.shape)}].", nameof(image));
        if (!image.is_floating_point()) throw new ArgumentException($"The low-resolution image must be floating point; got {image.dtype}.", nameof(image));
        using var finite = isfinite(image).all();
        if (!finite.item<bool>()) throw new ArgumentException("The low-resolution image contains NaN or infinite values.", nameof(image));
    }
}
