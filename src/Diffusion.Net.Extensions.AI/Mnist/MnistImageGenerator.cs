using System.Diagnostics;
using Diffusion.Net.Extensions.AI.Requests;
using Diffusion.Net.Guidance;
using Diffusion.Net.Imaging;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Mnist.PartA;
using Diffusion.Net.Mnist.Sampling;
using Diffusion.Net.Mnist.Training;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Techniques;
using Diffusion.Net.Views;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;
using Size = System.Drawing.Size;

namespace Diffusion.Net.Extensions.AI.Mnist;

/// <summary>
/// <see cref="IImageGenerator"/> over the CS180 class-conditioned MNIST UNet (DDPM or flow). The prompt is a digit
/// ("7", "a 7", "seven"; none = unconditional); <c>Count</c> digits come back as 28 × 28 PNGs. With
/// <c>OriginalImages</c> each original is SDEdited toward the prompt's digit (<see cref="DiffusionImageGeneratorProperties.Strength"/>),
/// or inpainted where a <see cref="DiffusionImageGeneratorProperties.Mask"/> is white. With
/// <see cref="DiffusionImageGeneratorProperties.AnagramPrompt"/> it makes a visual anagram (CS180 §1.8). Light-background
/// originals (a digit drawn on paper) are inverted to MNIST's light-on-dark before editing.
/// </summary>
/// <remarks>
/// Generation walks <see cref="DiffusionImageGeneratorOptions.DefaultSampler"/> (default: the main job's DPM-Solver++ 2M in
/// 10 steps); edits and anagrams walk <see cref="MnistPartA"/>'s 30-level chains (the ones measured in
/// docs/results-part-a.md) unless the request names a sampler or steps. At most
/// <see cref="DiffusionImageGeneratorOptions.MaxConcurrency"/> requests run on the model at once.
/// </remarks>
#pragma warning disable MEAI001 // IImageGenerator is experimental in Microsoft.Extensions.AI.Abstractions 10.x; this package implements that API on purpose.
public sealed class MnistImageGenerator : IImageGenerator
{
    /// <summary>The model id reported when the options name none.</summary>
    public const string DefaultModelId = "mnist-class-conditioned";

    /// <summary>The only size the MNIST networks make.</summary>
    public static Size ImageSize { get; } = new(28, 28);

    private readonly LazyModel<ClassConditionalUNet> _model;
    private readonly bool _ownsModel;
    private readonly DiffusionImageGeneratorOptions _options;
    private readonly ILogger _logger;
    private readonly Func<long, DiffusionRunOptions> _runOptions;
    private readonly string _modelId;
    private bool _disposed;

    /// <summary>Serves an already loaded model; the caller keeps ownership of it.</summary>
    /// <exception cref="ArgumentException">The options are invalid (every failure is named).</exception>
    public MnistImageGenerator(ClassConditionalUNet model, DiffusionImageGeneratorOptions? options = null, ILogger<MnistImageGenerator>? logger = null)
        : this(new LazyModel<ClassConditionalUNet>(model ?? throw new ArgumentNullException(nameof(model))), model.Objective, ownsModel: false, options, logger, null)
    {
        model.eval();
    }

    /// <summary>Loads the weights at <see cref="DiffusionImageGeneratorOptions.ModelPath"/> with its recipe on the first request, and owns them.</summary>
    internal MnistImageGenerator(Func<CancellationToken, Task<ClassConditionalUNet>> load, MnistObjective objective, bool ownsModel, DiffusionImageGeneratorOptions? options, ILogger? logger,
        Func<long, DiffusionRunOptions>? runOptions)
        : this(new LazyModel<ClassConditionalUNet>(load), objective, ownsModel, options, logger, runOptions)
    {
    }

    private MnistImageGenerator(LazyModel<ClassConditionalUNet> model, MnistObjective objective, bool ownsModel, DiffusionImageGeneratorOptions? options, ILogger? logger,
        Func<long, DiffusionRunOptions>? runOptions)
    {
        _options = (options ?? new DiffusionImageGeneratorOptions()).Clone();
        _options.ThrowIfInvalid();
        _model = model;
        _ownsModel = ownsModel;
        _logger = logger ?? NullLogger.Instance;
        _runOptions = runOptions ?? (seed => new DiffusionRunOptions { Seed = seed });
        _modelId = _options.ModelId ?? DefaultModelId;
        Gate = new GenerationGate(_options.MaxConcurrency);
        Metadata = new DiffusionImageGeneratorMetadata(_modelId, ImageSize, _options.MaxCount, _options.DefaultSampler ?? DefaultSamplerFor(objective));
    }

    /// <summary>The generator's metadata (also returned by <see cref="GetService"/>).</summary>
    public DiffusionImageGeneratorMetadata Metadata { get; }

    internal GenerationGate Gate { get; }

    /// <summary>Loads a trained class-conditioned model for the generator (validating names, shapes and the recorded objective).</summary>
    /// <exception cref="FileNotFoundException">The weights file does not exist.</exception>
    /// <exception cref="ArgumentException">The recipe is unknown or not a class-conditioned one.</exception>
    public static ClassConditionalUNet LoadModel(string weightsPath, string recipe = "quick", int? hidden = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(weightsPath);
        ArgumentException.ThrowIfNullOrEmpty(recipe);
        var r = MnistRecipes.Get(recipe);
        if (r.Kind != MnistModelKind.ClassConditioned)
            throw new ArgumentException($"Recipe '{recipe}' trains a {r.Kind} network; the image generator needs a class-conditioned recipe ({string.Join(", ", MnistRecipes.All.Values.Where(x => x.Kind == MnistModelKind.ClassConditioned).Select(x => x.Name))}).", nameof(recipe));
        if (hidden is { } d) r = r with { Hidden = d };
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"The MNIST weights '{weightsPath}' do not exist (DiffusionImageGeneratorOptions.ModelPath); train them with the MNIST sample's main job.", weightsPath);
        return (ClassConditionalUNet)MnistTraining.Load(r, weightsPath);
    }

    /// <inheritdoc />
    /// <exception cref="ImageGenerationRequestException">The prompt, a size, the count, an additional property or an original image is invalid (the property is named).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled while waiting for the model or during the run.</exception>
    public async Task<ImageGenerationResponse> GenerateAsync(ImageGenerationRequest request, ImageGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var common = CommonRequest.Read(request, options, _options, _modelId, ImageSize, _ => "the MNIST model makes 28 × 28 images only.", 5.0);
        var p = options?.AdditionalProperties;
        int? digit = MnistPrompt.Parse(request.Prompt);
        int? negative = MnistPrompt.Parse(common.NegativePrompt, RequestValues.Name(DiffusionImageGeneratorProperties.NegativePrompt));
        var maskBytes = ImageContent.MaskBytes(p);
        string anagramKey = RequestValues.Name(DiffusionImageGeneratorProperties.AnagramPrompt);
        int? anagram = RequestValues.Has(p, DiffusionImageGeneratorProperties.AnagramPrompt)
            ? MnistPrompt.Parse(RequestValues.Text(p, DiffusionImageGeneratorProperties.AnagramPrompt), anagramKey) ?? throw new ImageGenerationRequestException(anagramKey, "an anagram needs a second digit.")
            : null;
        var view = ParseView(RequestValues.Text(p, DiffusionImageGeneratorProperties.AnagramView), anagram is not null);
        if (anagram is not null && digit is null) throw new ImageGenerationRequestException("Prompt", "an anagram needs the upright digit in the prompt (e.g. \"6\" with anagram_prompt \"9\").");
        if (anagram is not null && common.Originals.Count > 0) throw new ImageGenerationRequestException(anagramKey, "an anagram starts from noise; send it without OriginalImages.");
        if (maskBytes is not null && common.Originals.Count == 0) throw new ImageGenerationRequestException(RequestValues.Name(DiffusionImageGeneratorProperties.Mask), "a mask needs OriginalImages to inpaint.");
        var limits = ImageContent.Limits(_options.MaxImageBytes);
        string mode = anagram is not null ? "anagram" : maskBytes is not null ? "inpaint" : common.Originals.Count > 0 ? "sdedit" : "generate";

        // Uploads decode before the model is loaded or a slot is taken, so a bad file fails fast and costs nothing.
        Tensor? sources = null, mask = null;
        try
        {
            if (common.Originals.Count > 0) sources = DecodeOriginals(common.Originals, limits);
            if (maskBytes is { } m) mask = ImageContent.DecodeMask(m, 28, 28, limits);
            var model = await _model.GetAsync(cancellationToken).ConfigureAwait(false);
            var sampler = ResolveSampler(model, common, edit: mode != "generate");
            _logger.LogDebug("MNIST {Mode}: digit {Digit}, {Count} image(s), sampler {Sampler}, γ {Guidance}, seed {Seed}",
                mode, digit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none", common.Total, sampler?.Name ?? "part-a-30", common.GuidanceScale, common.Seed);
            var clock = Stopwatch.StartNew();
            var contents = await Gate.RunAsync(ct =>
            {
                using var noGrad = no_grad();
                using var scope = NewDisposeScope();
                var pipeline = Build(model, common, digit, negative, anagram, view, sampler, sources, mask);
                using var result = pipeline.Run(_runOptions(common.Seed), null, ct);
                return Encode(result.Sample, common.Seed);
            }, cancellationToken).ConfigureAwait(false);
            _logger.LogDebug("MNIST {Mode} done: {Count} image(s) in {Elapsed:0.000} s", mode, contents.Count, clock.Elapsed.TotalSeconds);
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
        if (serviceType.IsInstanceOfType(Metadata)) return Metadata;
        if (serviceType.IsInstanceOfType(this)) return this;
        if (serviceType == typeof(ClassConditionalUNet)) return _model.Value;
        return null;
    }

    /// <summary>Disposes the model when the generator loaded it, and the concurrency gate.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_ownsModel) _model.Value?.Dispose();
        _model.Dispose();
        Gate.Dispose();
    }

    /// <summary>The main job's samplers: DPM-Solver++ 2M in 10 steps on a DDPM model, CS180's Euler in 20 on a flow model.</summary>
    private static string DefaultSamplerFor(MnistObjective objective)
        => objective == MnistObjective.Flow ? MnistSampler.DefaultFor(MnistObjective.Flow).Name : MnistSampler.DpmSolverPlusPlus(10).Name;

    private static IView ParseView(string? name, bool anagram)
    {
        string key = RequestValues.Name(DiffusionImageGeneratorProperties.AnagramView);
        if (name is not null && !anagram) throw new ImageGenerationRequestException(key, "a view applies only with anagram_prompt.");
        return (name?.Trim().ToLowerInvariant()) switch
        {
            null or "rotate180" or "rotate-180" => View.Rotate180,
            "flip-vertical" or "flipvertical" => View.FlipVertical,
            "flip-horizontal" or "fliphorizontal" => View.FlipHorizontal,
            _ => throw new ImageGenerationRequestException(key, $"'{name}' is not rotate180, flip-vertical or flip-horizontal."),
        };
    }

    /// <summary>[k·count, 1, 28, 28] in [0, 1], each original repeated count times, light backgrounds inverted.</summary>
    private static Tensor DecodeOriginals(IReadOnlyList<DataContent> originals, Diffusion.Net.Imaging.ImageLoadOptions limits)
    {
        using var scope = NewDisposeScope();
        var list = new List<Tensor>();
        for (int i = 0; i < originals.Count; i++)
        {
            var x = ImageContent.Decode(originals[i].Data, $"OriginalImages[{i}]", 28, 28, PixelRange.ZeroToOne, 1, limits);
            // MNIST digits are light strokes on black; a digit drawn or photographed on paper is the reverse. The frame's mean
            // tells them apart without guessing at the strokes.
            using var frame = cat([x[.., .., 0, ..].flatten(), x[.., .., ^1, ..].flatten(), x[.., .., .., 0].flatten(), x[.., .., .., ^1].flatten()]);
            if (frame.mean().item<float>() > 0.5f) x = 1 - x;
            list.Add(x);
        }
        return scope.MoveToOuter(cat(list, 0));
    }

    private MnistSampler? ResolveSampler(ClassConditionalUNet model, CommonRequest common, bool edit)
    {
        string key = RequestValues.Name(DiffusionImageGeneratorProperties.Sampler);
        string? name = common.Sampler ?? (edit && common.Steps is null ? null : _options.DefaultSampler ?? DefaultSamplerFor(model.Objective));
        if (name is null) return null;
        // Steps given with no sampler named re-count the default sampler, whatever count the default carries.
        if (common.Sampler is null && common.Steps is not null) name = CommonRequest.StripSteps(name);
        name = CommonRequest.WithSteps(name.Trim().ToLowerInvariant(), common.Steps, family => family != "ddpm");
        try
        {
            return MnistSampler.Parse(name, model.Objective);
        }
        catch (ArgumentException e)
        {
            throw new ImageGenerationRequestException(common.Sampler is null && common.Steps is not null ? RequestValues.Name(DiffusionImageGeneratorProperties.Steps) : key, e.Message, e);
        }
    }

    private static DiffusionPipeline Build(ClassConditionalUNet model, CommonRequest common, int? digit, int? negative, int? anagram, IView view, MnistSampler? sampler,
        Tensor? sources, Tensor? mask)
    {
        var partA = new MnistPartA(model, common.GuidanceScale);
        var schedule = sampler?.Schedule(model.Process) ?? partA.Levels;
        var step = sampler?.Sampler ?? partA.Sampler;
        IGuidance guidance = Guide.ClassifierFree(common.GuidanceScale, negative is { } n ? Condition.Classes(n) : null);
        int batch = sources is null ? common.Total : (int)sources.shape[0] * common.CountPerSource;
        var labels = MnistPartA.Digits(digit is { } d ? Enumerable.Repeat(d, batch).ToArray() : null, batch);
        var originals = sources is null ? null : common.CountPerSource == 1 ? sources : sources.repeat_interleave(common.CountPerSource, 0);
        if (originals is not null && mask is null)
        {
            int start = Math.Clamp((int)Math.Round((1 - common.Strength) * schedule.StepCount), 0, schedule.StepCount - 1);
            return Sdedit.Build(model, schedule, originals, start, labels, step, guidance);
        }
        IConditioning conditioning = anagram is { } other
            ? View.Average((Condition.Classes(digit!.Value), View.Identity), (Condition.Classes(other), view))
            : labels;
        var pipeline = DiffusionPipeline.FromNoise(batch, 1, 28, 28).Denoise(model, schedule, conditioning).WithSampler(step).WithGuidance(guidance);
        if (originals is null || mask is null) return pipeline;
        // The chain ends at its last level, a trace of noise above clean data; the kept region is handed back as the
        // original itself, pixel for pixel, as an editor expects.
        var keep = 1 - mask;
        return pipeline.Inpaint(originals, mask).Transform("keep the unmasked original", x => x * mask + originals * keep);
    }

    private static List<AIContent> Encode(Tensor samples, long seed)
    {
        var contents = new List<AIContent>();
        for (int i = 0; i < samples.shape[0]; i++)
        {
            using var image = samples[i];
            var png = ImageContent.Png(image, PixelRange.ZeroToOne, FormattableString.Invariant($"mnist-{seed}-{i}.png"));
            png.AdditionalProperties = new AdditionalPropertiesDictionary { [DiffusionImageGeneratorProperties.Seed] = seed, ["index"] = i };
            contents.Add(png);
        }
        return contents;
    }
}
#pragma warning restore MEAI001
