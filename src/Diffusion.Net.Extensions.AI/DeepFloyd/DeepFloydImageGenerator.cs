using System.Diagnostics;
using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.Prompts;
using Diffusion.Net.Extensions.AI.Requests;
using Diffusion.Net.Guidance;
using Diffusion.Net.Imaging;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Techniques;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;
using Size = System.Drawing.Size;

namespace Diffusion.Net.Extensions.AI.DeepFloyd;

/// <summary>
/// <see cref="IImageGenerator"/> over DeepFloyd IF stage I. The prompt becomes a text condition through
/// <see cref="IFPromptEncoder"/>: T5 when the encoder is loaded, else the prompt-embedding store, else a
/// <see cref="NotSupportedException"/> naming both options. Images come back as PNGs at the stage's sample size (64 × 64
/// for the published stages) or another requested size the UNet accepts. <c>OriginalImages</c> are SDEdited, or inpainted
/// where a <see cref="DiffusionImageGeneratorProperties.Mask"/> is white; the negative prompt defaults to "" as in diffusers.
/// </summary>
/// <remarks>
/// Samplers: <c>ddpm</c> (the stage's own scheduler config: learned-range variance, dynamic thresholding) and
/// <c>dpm++2m</c> (DPM-Solver++ 2M with the config's thresholding), each with
/// <see cref="DiffusionImageGeneratorOptions.DefaultSteps"/> or <c>-N</c> steps. Stage II is not run: upscale the PNGs
/// with <c>IFSuperResolutionPipeline</c> when 256 × 256 is needed.
/// </remarks>
#pragma warning disable MEAI001 // IImageGenerator is experimental in Microsoft.Extensions.AI.Abstractions 10.x; this package implements that API on purpose.
public sealed class DeepFloydImageGenerator : IImageGenerator
{
    private readonly LazyModel<Loaded> _model;
    private readonly DiffusionImageGeneratorOptions _options;
    private readonly ILogger _logger;
    private readonly Func<long, DiffusionRunOptions> _runOptions;
    private readonly string? _modelId;
    private bool _disposed;

    /// <summary>Serves a loaded stage I with a prompt encoder; the caller keeps ownership of both.</summary>
    /// <exception cref="ArgumentException">The model is a stage II, or the options are invalid.</exception>
    public DeepFloydImageGenerator(IDeepFloydModel stage1, IFPromptEncoder prompts, DiffusionImageGeneratorOptions? options = null, ILogger<DeepFloydImageGenerator>? logger = null)
        : this(_ => Task.FromResult(new Loaded(Check(stage1), prompts ?? throw new ArgumentNullException(nameof(prompts)))), options, logger, null, stage1)
    {
    }

    /// <summary>Loads stage I and its prompt encoder on the first request (DI: from <c>DeepFloydModelProvider</c>, which owns them).</summary>
    internal DeepFloydImageGenerator(Func<CancellationToken, Task<Loaded>> load, DiffusionImageGeneratorOptions? options, ILogger? logger,
        Func<long, DiffusionRunOptions>? runOptions, IDeepFloydModel? known = null)
    {
        _options = (options ?? new DiffusionImageGeneratorOptions()).Clone();
        _options.ThrowIfInvalid();
        _model = new LazyModel<Loaded>(load);
        _logger = logger ?? NullLogger.Instance;
        _runOptions = runOptions ?? (seed => new DiffusionRunOptions { Seed = seed, Device = known?.Device });
        _modelId = _options.ModelId;
        Gate = new GenerationGate(_options.MaxConcurrency);
        if (known is not null) Metadata = CreateMetadata(known);
    }

    /// <summary>The generator's metadata once the model is known (at construction for a loaded model, else after the first request).</summary>
    public DiffusionImageGeneratorMetadata? Metadata { get; private set; }

    internal GenerationGate Gate { get; }

    /// <inheritdoc />
    /// <exception cref="ImageGenerationRequestException">A size, the count, an additional property or an original image is invalid (the property is named).</exception>
    /// <exception cref="NotSupportedException">The prompt cannot be encoded: no T5 encoder is loaded and the embedding store lacks it (both options are named).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting for the model or during the run.</exception>
    public async Task<ImageGenerationResponse> GenerateAsync(ImageGenerationRequest request, ImageGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var loaded = await _model.GetAsync(cancellationToken).ConfigureAwait(false);
        var model = loaded.Model;
        Metadata ??= CreateMetadata(model);
        var defaultSize = new Size(model.SampleSize, model.SampleSize);
        var common = CommonRequest.Read(request, options, _options, Metadata.DefaultModelId!, defaultSize, s => CheckSize(model, s), 7.0);
        var size = options?.ImageSize ?? defaultSize;
        var p = options?.AdditionalProperties;
        var maskBytes = ImageContent.MaskBytes(p);
        if (maskBytes is not null && common.Originals.Count == 0) throw new ImageGenerationRequestException(RequestValues.Name(DiffusionImageGeneratorProperties.Mask), "a mask needs OriginalImages to inpaint.");
        if (RequestValues.Has(p, DiffusionImageGeneratorProperties.AnagramPrompt))
            throw new ImageGenerationRequestException(RequestValues.Name(DiffusionImageGeneratorProperties.AnagramPrompt), "anagrams through this generator are MNIST-only; use DeepFloydPartA.Anagram for IF.");
        string prompt = request.Prompt ?? "";
        string negative = common.NegativePrompt ?? "";
        // Fail before queueing: a prompt the encoder cannot take throws its NotSupportedException (naming both ways to enable it) without work.
        if (!loaded.Prompts.CanEncode(prompt)) loaded.Prompts.Encode(prompt).Embeddings.Dispose();
        if (common.GuidanceScale > 1 && !loaded.Prompts.CanEncode(negative)) loaded.Prompts.Encode(negative).Embeddings.Dispose();
        var (sampler, steps, samplerName) = ResolveSampler(model, common);
        var limits = ImageContent.Limits(_options.MaxImageBytes);
        string mode = maskBytes is not null ? "inpaint" : common.Originals.Count > 0 ? "sdedit" : "generate";
        int channels = model.UNetConfig.SampleChannels;

        Tensor? sources = null, mask = null;
        try
        {
            if (common.Originals.Count > 0)
            {
                using var scope = NewDisposeScope();
                sources = scope.MoveToOuter(cat(common.Originals.Select((o, i) => ImageContent.Decode(o.Data, $"OriginalImages[{i}]", size.Width, size.Height, PixelRange.MinusOneToOne, channels, limits)).ToArray(), 0));
            }
            if (maskBytes is { } m) mask = ImageContent.DecodeMask(m, size.Width, size.Height, limits);
            _logger.LogDebug("DeepFloyd IF {Mode}: {Count} image(s) of {Width}×{Height}, sampler {Sampler}, γ {Guidance}, seed {Seed}",
                mode, common.Total, size.Width, size.Height, samplerName, common.GuidanceScale, common.Seed);
            var clock = Stopwatch.StartNew();
            var contents = await Gate.RunAsync(ct =>
            {
                using var noGrad = no_grad();
                using var scope = NewDisposeScope();
                int batch = common.Total;
                var positive = loaded.Prompts.Encode(prompt).Repeat(batch);
                IGuidance guidance = common.GuidanceScale > 1 ? Guide.ClassifierFree(common.GuidanceScale, loaded.Prompts.Encode(negative)) : Guide.None;
                var schedule = sampler.CreateSchedule(model.Process, steps);
                var originals = sources is null ? null : common.CountPerSource == 1 ? sources : sources.repeat_interleave(common.CountPerSource, 0);
                DiffusionPipeline pipeline;
                if (originals is not null && mask is null)
                {
                    int start = Math.Clamp((int)Math.Round((1 - common.Strength) * schedule.StepCount), 0, schedule.StepCount - 1);
                    pipeline = Sdedit.Build(model, schedule, originals, start, positive, sampler, guidance);
                }
                else
                {
                    pipeline = DiffusionPipeline.FromNoise(batch, channels, size.Height, size.Width).Denoise(model, schedule, positive).WithSampler(sampler).WithGuidance(guidance);
                    if (originals is not null) pipeline = pipeline.Inpaint(originals, mask!);
                }
                using var result = pipeline.Run(_runOptions(common.Seed), null, ct);
                var list = new List<AIContent>();
                for (int i = 0; i < result.Sample.shape[0]; i++)
                {
                    using var image = result.Sample[i];
                    var png = ImageContent.Png(image, PixelRange.MinusOneToOne, FormattableString.Invariant($"deepfloyd-{common.Seed}-{i}.png"));
                    png.AdditionalProperties = new AdditionalPropertiesDictionary { [DiffusionImageGeneratorProperties.Seed] = common.Seed, ["index"] = i };
                    list.Add(png);
                }
                return list;
            }, cancellationToken).ConfigureAwait(false);
            _logger.LogDebug("DeepFloyd IF {Mode} done: {Count} image(s) in {Elapsed:0.000} s", mode, contents.Count, clock.Elapsed.TotalSeconds);
            return new ImageGenerationResponse(contents);
        }
        finally
        {
            sources?.Dispose();
            mask?.Dispose();
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (Metadata is not null && serviceType.IsInstanceOfType(Metadata)) return Metadata;
        if (serviceType.IsInstanceOfType(this)) return this;
        if (_model.Value is { } loaded)
        {
            if (serviceType.IsInstanceOfType(loaded.Model)) return loaded.Model;
            if (serviceType == typeof(IFPromptEncoder)) return loaded.Prompts;
        }
        return null;
    }

    /// <summary>Releases the concurrency gate; the model belongs to whoever loaded it.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _model.Dispose();
        Gate.Dispose();
    }

    private DiffusionImageGeneratorMetadata CreateMetadata(IDeepFloydModel model)
        => new(_modelId ?? (model is DeepFloydModel loaded ? Path.GetFileName(Path.TrimEndingDirectorySeparator(loaded.Folder)) : "deepfloyd-if"),
            new Size(model.SampleSize, model.SampleSize), _options.MaxCount, _options.DefaultSampler ?? FormattableString.Invariant($"ddpm-{_options.DefaultSteps}"));

    private static IDeepFloydModel Check(IDeepFloydModel stage1)
    {
        ArgumentNullException.ThrowIfNull(stage1);
        if (stage1.IsSuperResolution) throw new ArgumentException("The image generator runs DeepFloyd IF stage I; this is a stage II (super-resolution) model.", nameof(stage1));
        return stage1;
    }

    private static string? CheckSize(IDeepFloydModel model, Size size)
    {
        int max = 2 * model.SampleSize;
        if (size.Width < 1 || size.Height < 1 || size.Width > max || size.Height > max)
            return $"{size.Width}×{size.Height} is outside 1…{max} (twice the stage's {model.SampleSize}-pixel training size).";
        try
        {
            model.ValidateSample([1, model.UNetConfig.SampleChannels, size.Height, size.Width]);
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    private (ISampler Sampler, int Steps, string Name) ResolveSampler(IDeepFloydModel model, CommonRequest common)
    {
        string raw = (common.Sampler ?? _options.DefaultSampler ?? "ddpm").Trim().ToLowerInvariant();
        string key = RequestValues.Name(common.Sampler is null ? DiffusionImageGeneratorProperties.Steps : DiffusionImageGeneratorProperties.Sampler);
        if (common.Sampler is null && common.Steps is not null) raw = CommonRequest.StripSteps(raw);
        string name = CommonRequest.WithSteps(raw, common.Steps, _ => true);
        int steps = _options.DefaultSteps;
        string family = name;
        int dash = name.LastIndexOf('-');
        if (dash > 0 && int.TryParse(name.AsSpan(dash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n))
        {
            if (n < 1 || n > 1000) throw new ImageGenerationRequestException(key, $"{n} steps is outside [1, 1000].");
            steps = n;
            family = name[..dash];
        }
        ISampler sampler = family switch
        {
            "ddpm" => model.Sampler,
            "dpm++2m" => new DpmSolverSampler(model.SchedulerConfig.Configure(new DpmSolverOptions())),
            _ => throw new ImageGenerationRequestException(RequestValues.Name(DiffusionImageGeneratorProperties.Sampler), $"'{raw}' is not a DeepFloyd IF sampler: use ddpm or dpm++2m, optionally with -N steps."),
        };
        return (sampler, steps, FormattableString.Invariant($"{family}-{steps}"));
    }

    /// <summary>A loaded stage I and its prompt encoder.</summary>
    internal sealed record Loaded(IDeepFloydModel Model, IFPromptEncoder Prompts);
}
#pragma warning restore MEAI001
