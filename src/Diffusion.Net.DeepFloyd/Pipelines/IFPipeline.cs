using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.Prompts;
using Diffusion.Net.Guidance;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using System.Globalization;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Pipelines;

/// <summary>
/// Text → 64×64 with DeepFloyd IF stage I, with diffusers' IFPipeline semantics: the initial noise is the
/// generator's first draw, then one draw per step with t &gt; 0; with CFG the batch is [negative; positive], only ε
/// is guided and the variance comes from the conditional half; the scheduler step uses the learned-range variance and
/// dynamic thresholding of <c>scheduler_config.json</c>; every timestep, including the last, is stepped. Any other
/// sampler can take the DDPM's place (<see cref="IFGenerationOptions.Sampler"/>); it reads the ε half of the 6-channel output.
/// </summary>
/// <remarks>
/// Prompts are embeddings (<see cref="TextCondition"/>) or strings; strings go through <see cref="PromptEncoder"/>
/// (T5 when the stage has it loaded, else a prompt-embedding store). The pipeline holds no per-run state: one instance
/// may serve concurrent requests (each run has its own generator), and it logs each request at Debug level.
/// </remarks>
public sealed class IFPipeline
{
    private readonly IDeepFloydModel _stage1;
    private readonly ILogger _logger;

    /// <summary>Creates the pipeline on stage I.</summary>
    /// <param name="stage1">The stage I model (a <see cref="DeepFloydModel"/> or a decorator of one).</param>
    /// <param name="promptEncoder">How prompt strings become embeddings (default: the stage's own T5, if loaded).</param>
    /// <param name="logger">Receives one Debug entry per request.</param>
    public IFPipeline(IDeepFloydModel stage1, IFPromptEncoder? promptEncoder = null, ILogger? logger = null)
    {
        _stage1 = stage1 ?? throw new ArgumentNullException(nameof(stage1));
        PromptEncoder = promptEncoder ?? new IFPromptEncoder(stage1);
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The model.</summary>
    public IDeepFloydModel Model => _stage1;

    /// <summary>How prompt strings are encoded.</summary>
    public IFPromptEncoder PromptEncoder { get; }

    /// <summary>
    /// The pipeline as a core chain (to add steps, inspect it or run it with <see cref="RunOptions"/>), validated: a
    /// wrong embedding width, negative-prompt count or size fails here, before any model call.
    /// </summary>
    public DiffusionPipeline Build(TextCondition prompts, TextCondition negative, IFGenerationOptions? options = null)
        => Build(prompts, negative, options, null);

    private DiffusionPipeline Build(TextCondition prompts, TextCondition negative, IFGenerationOptions? options, List<Tensor>? created)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(negative);
        options ??= new IFGenerationOptions();
        options.Validate();
        CheckStage();
        PipelineInputs.CheckText(_stage1, prompts, nameof(prompts));
        PipelineInputs.CheckText(_stage1, negative, nameof(negative));
        int size = options.Size ?? _stage1.SampleSize;
        int promptBatch = (int)prompts.Embeddings.shape[0];
        var unconditional = PipelineInputs.Negative(negative, promptBatch, options.ImagesPerPrompt, nameof(negative), created);
        var positive = PipelineInputs.RepeatInterleave(prompts, options.ImagesPerPrompt, created);
        int batch = (int)positive.Embeddings.shape[0];
        var start = DiffusionPipeline.FromNoise(batch, _stage1.UNetConfig.SampleChannels, size, size);
        var pipeline = (options.Timesteps is { } timesteps ? start.Denoise(_stage1, timesteps.ThroughLast(), positive) : start.Denoise(_stage1, options.Steps, positive))
            .WithSampler(options.Sampler ?? _stage1.Sampler)
            .WithGuidance(options.GuidanceScale > 1 ? Guide.ClassifierFree(options.GuidanceScale, unconditional) : Guide.None);
        if (options.CaptureEvery > 0) pipeline = pipeline.CaptureTrajectory(options.CaptureEvery);
        pipeline.Validate();
        return pipeline;
    }

    /// <summary>
    /// <see cref="Build(TextCondition, TextCondition, IFGenerationOptions?)"/> from prompt strings. The embeddings it
    /// encodes must outlive the runs, so they are not disposed here: build inside a <c>torch.NewDisposeScope()</c> that
    /// ends after the last run (or leave them to the GC).
    /// </summary>
    /// <exception cref="NotSupportedException">No T5 encoder is loaded and no store holds a prompt.</exception>
    public DiffusionPipeline Build(IReadOnlyList<string> prompts, string negativePrompt = "", IFGenerationOptions? options = null)
    {
        (options ?? new IFGenerationOptions()).Validate();
        CheckStage();
        var (positive, negative) = PipelineInputs.Encode(PromptEncoder, prompts, negativePrompt);
        return Build(positive, negative, options);
    }

    /// <summary>The run options <see cref="Generate(TextCondition, TextCondition, IFGenerationOptions?, IProgress{DiffusionProgress}?, CancellationToken)"/> uses: the seed or noise source, on the model's device.</summary>
    public DiffusionRunOptions RunOptions(IFGenerationOptions? options = null)
    {
        options ??= new IFGenerationOptions();
        return new DiffusionRunOptions { Seed = options.Seed, NoiseSource = options.NoiseSource, Device = _stage1.Device };
    }

    /// <summary>Generates images in [−1, 1] (B·ImagesPerPrompt, 3, 64, 64).</summary>
    public DiffusionResult Generate(TextCondition prompts, TextCondition negative, IFGenerationOptions? options = null,
        IProgress<DiffusionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new IFGenerationOptions();
        var created = new List<Tensor>();
        try
        {
            var pipeline = Build(prompts, negative, options, created);
            if (_logger.IsEnabled(LogLevel.Debug))
                _logger.LogDebug("IF stage I: {Images} images at {Size} px, {Steps} steps, guidance {Guidance}, seed {Seed}",
                    pipeline.Validate()[0], options.Size ?? _stage1.SampleSize, pipeline.TotalDenoisingSteps, options.GuidanceScale,
                    options.NoiseSource is null ? options.Seed.ToString(CultureInfo.InvariantCulture) : "(caller's noise source)");
            return pipeline.Run(RunOptions(options), progress, cancellationToken);
        }
        finally
        {
            PipelineInputs.Dispose(created);
        }
    }

    /// <summary>Generates images for one prompt string (e.g. <c>Generate("a rocket ship")</c>) against <paramref name="negativePrompt"/>.</summary>
    /// <exception cref="NotSupportedException">No T5 encoder is loaded and no store holds a prompt; the message names both options.</exception>
    public DiffusionResult Generate(string prompt, string negativePrompt = "", IFGenerationOptions? options = null,
        IProgress<DiffusionProgress>? progress = null, CancellationToken cancellationToken = default)
        => Generate(PipelineInputs.One(prompt), negativePrompt, options, progress, cancellationToken);

    /// <summary>Generates images for several prompt strings (ImagesPerPrompt each, consecutively); the embeddings are freed afterwards.</summary>
    /// <exception cref="NotSupportedException">No T5 encoder is loaded and no store holds a prompt; the message names both options.</exception>
    public DiffusionResult Generate(IReadOnlyList<string> prompts, string negativePrompt = "", IFGenerationOptions? options = null,
        IProgress<DiffusionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        (options ?? new IFGenerationOptions()).Validate();
        CheckStage();
        cancellationToken.ThrowIfCancellationRequested();
        var (positive, negative) = PipelineInputs.Encode(PromptEncoder, prompts, negativePrompt);
        try
        {
            return Generate(positive, negative, options, progress, cancellationToken);
        }
        finally
        {
            PipelineInputs.Dispose(positive, negative);
        }
    }

    private void CheckStage()
    {
        if (_stage1.IsSuperResolution) throw new InvalidOperationException("IFPipeline needs a stage I model; this is stage II (use IFSuperResolutionPipeline).");
    }
}
