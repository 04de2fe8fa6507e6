using System.Drawing;
using Microsoft.Extensions.AI;

namespace Diffusion.Net.Extensions.AI.Requests;

/// <summary>The parts of a request every model reads the same way, validated before any tensor work.</summary>
#pragma warning disable MEAI001 // ImageGenerationOptions is experimental in Microsoft.Extensions.AI.Abstractions 10.x; this package implements that API on purpose.
internal sealed record CommonRequest(int CountPerSource, IReadOnlyList<DataContent> Originals, long Seed, double GuidanceScale, string? Sampler, int? Steps, double Strength, string? NegativePrompt)
{
    public int Sources => Math.Max(1, Originals.Count);

    public int Total => CountPerSource * Sources;

    public static CommonRequest Read(ImageGenerationRequest request, ImageGenerationOptions? options, DiffusionImageGeneratorOptions settings, string modelId,
        Size defaultSize, Func<Size, string?> checkSize, double defaultGuidance)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (options?.ModelId is { } requested && !requested.Equals(modelId, StringComparison.OrdinalIgnoreCase))
            throw new ImageGenerationRequestException("ModelId", $"this generator serves '{modelId}', not '{requested}'; leave ModelId empty or ask for '{modelId}'.");
        if (options?.MediaType is { } media && !media.Equals(ImageContent.PngMediaType, StringComparison.OrdinalIgnoreCase))
            throw new ImageGenerationRequestException("MediaType", $"'{media}' is not produced; the images come as image/png.");
        if (options?.ResponseFormat is { } format && format != ImageGenerationResponseFormat.Data)
            throw new ImageGenerationRequestException("ResponseFormat", $"{format} needs a hosting service; this in-process generator returns Data (PNG bytes).");
        if (options?.ImageSize is { } size && size != defaultSize && checkSize(size) is { } sizeProblem)
            throw new ImageGenerationRequestException("ImageSize", sizeProblem);
        int count = options?.Count ?? 1;
        var originals = ImageContent.Originals(request);
        int sources = Math.Max(1, originals.Count);
        if (count < 1 || (long)count * sources > settings.MaxCount)
            throw new ImageGenerationRequestException("Count", originals.Count > 0
                ? $"{count} per original × {originals.Count} originals must lie in [1, {settings.MaxCount}] (DiffusionImageGeneratorOptions.MaxCount)."
                : $"{count} must lie in [1, {settings.MaxCount}] (DiffusionImageGeneratorOptions.MaxCount).");
        var p = options?.AdditionalProperties;
        long seed = RequestValues.Integer(p, DiffusionImageGeneratorProperties.Seed, 0, long.MaxValue) ?? settings.DefaultSeed ?? Random.Shared.NextInt64(0, 1L << 53);
        double guidance = RequestValues.Number(p, DiffusionImageGeneratorProperties.GuidanceScale, 0, 100) ?? settings.DefaultGuidanceScale ?? defaultGuidance;
        string? sampler = RequestValues.Text(p, DiffusionImageGeneratorProperties.Sampler);
        if (sampler is not null && string.IsNullOrWhiteSpace(sampler)) throw new ImageGenerationRequestException(RequestValues.Name(DiffusionImageGeneratorProperties.Sampler), "the sampler name is blank.");
        int? steps = (int?)RequestValues.Integer(p, DiffusionImageGeneratorProperties.Steps, 1, 1000);
        double strength = RequestValues.Number(p, DiffusionImageGeneratorProperties.Strength, 0, 1, minExclusive: true) ?? settings.DefaultStrength;
        string? negative = RequestValues.Text(p, DiffusionImageGeneratorProperties.NegativePrompt);
        return new CommonRequest(count, originals, seed, guidance, sampler, steps, strength, negative);
    }

    /// <summary>The sampler family of a name: <c>dpm++2m-10</c> → <c>dpm++2m</c>.</summary>
    public static string StripSteps(string name)
    {
        int dash = name.LastIndexOf('-');
        return dash > 0 && int.TryParse(name.AsSpan(dash + 1), out _) ? name[..dash] : name;
    }

    /// <summary>A sampler name with the request's step count: <c>family-N</c>; a name that already carries another N is a conflict.</summary>
    public static string WithSteps(string name, int? steps, Func<string, bool> takesSteps)
    {
        if (steps is not { } n) return name;
        string family = name;
        int dash = name.LastIndexOf('-');
        if (dash > 0 && int.TryParse(name.AsSpan(dash + 1), out int given))
        {
            if (given != n)
                throw new ImageGenerationRequestException(RequestValues.Name(DiffusionImageGeneratorProperties.Steps), $"{n} contradicts the sampler '{name}' ({given} steps); give one of them.");
            family = name[..dash];
        }
        if (!takesSteps(family))
            throw new ImageGenerationRequestException(RequestValues.Name(DiffusionImageGeneratorProperties.Steps), $"the sampler '{family}' takes no step count (it walks every timestep); choose a sampler such as dpm++2m.");
        return FormattableString.Invariant($"{family}-{n}");
    }
}
#pragma warning restore MEAI001
