using System.Globalization;

namespace Diffusion.Net.Extensions.AI;

/// <summary>
/// Settings of the Diffusion.Net image generators (<see cref="Mnist.MnistImageGenerator"/>,
/// <see cref="DeepFloyd.DeepFloydImageGenerator"/>): plain properties with defaults, bindable from configuration and
/// validated at start. A request's <c>AdditionalProperties</c> override the <c>Default…</c> values per call.
/// </summary>
public sealed class DiffusionImageGeneratorOptions
{
    /// <summary>The model kind for <c>AddImageGenerator()</c>: <c>mnist</c> or <c>deepfloyd</c>; null picks the one package that was added (<c>AddMnist()</c> or <c>AddDeepFloyd()</c>).</summary>
    public string? Model { get; set; }

    /// <summary>The id reported as <c>ImageGeneratorMetadata.DefaultModelId</c> (default: <c>mnist-class-conditioned</c> or the IF folder's name).</summary>
    public string? ModelId { get; set; }

    /// <summary>
    /// MNIST: the trained class-conditioned weights, e.g. the main job's <c>out/mnist/quick/checkpoint/model.safetensors</c>.
    /// Read on the first request (so a server may train it after start); required when DI builds the MNIST generator.
    /// </summary>
    public string? ModelPath { get; set; }

    /// <summary>MNIST: the recipe the weights were trained with (<c>quick</c>, <c>class-conditioned</c>, <c>quick-flow</c>, …); it fixes the network and objective.</summary>
    public string Recipe { get; set; } = "quick";

    /// <summary>MNIST: the network width D when the weights were trained at another width than the recipe's.</summary>
    public int? Hidden { get; set; }

    /// <summary>How many requests may run on the loaded model at once; the others wait (cancellably) in arrival order. Default 1: one libtorch run already uses every core.</summary>
    public int MaxConcurrency { get; set; } = 1;

    /// <summary>The most images one request may ask for (<c>Count</c> × original images).</summary>
    public int MaxCount { get; set; } = 16;

    /// <summary>The seed when a request gives none; null draws a fresh one per request (reported on each image's <c>AdditionalProperties["seed"]</c>).</summary>
    public long? DefaultSeed { get; set; }

    /// <summary>The sampler when a request names none (see <see cref="DiffusionImageGeneratorProperties.Sampler"/>); null: MNIST <c>dpm++2m-10</c> (the main job's; <c>euler-20</c> on a flow model), IF the stage's DDPM.</summary>
    public string? DefaultSampler { get; set; }

    /// <summary>DeepFloyd IF: the sampler steps when neither the request nor the sampler name gives them. Default 50.</summary>
    public int DefaultSteps { get; set; } = 50;

    /// <summary>The guidance scale when a request gives none; null: 5 for MNIST (CS180), 7 for IF (diffusers).</summary>
    public double? DefaultGuidanceScale { get; set; }

    /// <summary>The SDEdit strength when a request with original images gives none (see <see cref="DiffusionImageGeneratorProperties.Strength"/>).</summary>
    public double DefaultStrength { get; set; } = 0.6;

    /// <summary>The largest accepted original image or mask, in bytes (default 4 MiB).</summary>
    public long MaxImageBytes { get; set; } = 4L * 1024 * 1024;

    /// <summary>Every invalid setting, named; empty when the options are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var failures = new List<string>();
        if (Model is not null && !IsKnownModel(Model)) failures.Add($"Model '{Model}' is not 'mnist' or 'deepfloyd'.");
        if (string.IsNullOrWhiteSpace(Recipe)) failures.Add("Recipe is empty.");
        if (Hidden is < 1 or > 1024) failures.Add($"Hidden must lie in [1, 1024]; got {Hidden}.");
        if (MaxConcurrency is < 1 or > 64) failures.Add($"MaxConcurrency must lie in [1, 64]; got {MaxConcurrency}.");
        if (MaxCount is < 1 or > 1024) failures.Add($"MaxCount must lie in [1, 1024]; got {MaxCount}.");
        if (DefaultSeed is < 0) failures.Add($"DefaultSeed must be ≥ 0; got {DefaultSeed}.");
        if (DefaultSteps is < 1 or > 1000) failures.Add($"DefaultSteps must lie in [1, 1000]; got {DefaultSteps}.");
        if (DefaultGuidanceScale is { } g && (!double.IsFinite(g) || g < 0)) failures.Add(string.Create(CultureInfo.InvariantCulture, $"DefaultGuidanceScale must be a finite number ≥ 0; got {g}."));
        if (!(DefaultStrength > 0 && DefaultStrength <= 1)) failures.Add(string.Create(CultureInfo.InvariantCulture, $"DefaultStrength must lie in (0, 1]; got {DefaultStrength}."));
        if (MaxImageBytes is < 1 or > 256L * 1024 * 1024) failures.Add($"MaxImageBytes must lie in [1, 256 MiB]; got {MaxImageBytes}.");
        if (DefaultSampler is not null && string.IsNullOrWhiteSpace(DefaultSampler)) failures.Add("DefaultSampler is blank; leave it null for the model's default.");
        return failures;
    }

    /// <summary>A copy (the generators keep their own, so later changes to a shared instance do not reach them).</summary>
    public DiffusionImageGeneratorOptions Clone() => (DiffusionImageGeneratorOptions)MemberwiseClone();

    internal static bool IsKnownModel(string model) => model.Equals("mnist", StringComparison.OrdinalIgnoreCase) || model.Equals("deepfloyd", StringComparison.OrdinalIgnoreCase);

    internal void ThrowIfInvalid()
    {
        var failures = Validate();
        if (failures.Count > 0) throw new ArgumentException($"Invalid {nameof(DiffusionImageGeneratorOptions)}: {string.Join(" ", failures)}", "options");
    }
}
