using Diffusion.Net.DeepFloyd.Hosting;
using Diffusion.Net.Mnist.Hosting;
using Diffusion.Net.Mnist.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Diffusion.Net.Extensions.AI.Hosting;

/// <summary>Validates <see cref="DiffusionImageGeneratorOptions"/> at start, including which model package is there to serve.</summary>
internal sealed class DiffusionImageGeneratorOptionsValidator(IServiceProviderIsService? services = null) : IValidateOptions<DiffusionImageGeneratorOptions>
{
    public const string NoModelMessage = "AddImageGenerator() needs a model package before it: AddMnist() or AddDeepFloyd(…), or DiffusionImageGeneratorOptions.Model = \"mnist\".";

    public ValidateOptionsResult Validate(string? name, DiffusionImageGeneratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = options.Validate().ToList();
        string? kind;
        try
        {
            kind = ResolveModel(options, services);
        }
        catch (InvalidOperationException e)
        {
            failures.Add(e.Message);
            kind = null;
        }
        if (kind is null && options.Model is null && failures.Count == 0) failures.Add(NoModelMessage);
        if (kind == "mnist")
        {
            if (string.IsNullOrWhiteSpace(options.ModelPath))
                failures.Add("ModelPath is required for the MNIST generator: the class-conditioned weights, e.g. the main job's out/mnist/quick/checkpoint/model.safetensors.");
            if (!MnistRecipes.All.TryGetValue(options.Recipe ?? "", out var recipe))
                failures.Add($"Recipe '{options.Recipe}' is unknown; known: {string.Join(", ", MnistRecipes.All.Keys)}.");
            else if (recipe.Kind != MnistModelKind.ClassConditioned)
                failures.Add($"Recipe '{options.Recipe}' is not a class-conditioned recipe; the image generator needs one.");
        }
        if (kind == "deepfloyd" && services is not null && !services.IsService(typeof(DeepFloydModelProvider)))
            failures.Add("Model is 'deepfloyd' but AddDeepFloyd(…) was not called.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>"mnist" or "deepfloyd": the configured one, else the one package registered; null when none is.</summary>
    /// <exception cref="InvalidOperationException">Both packages are registered and no model is chosen.</exception>
    public static string? ResolveModel(DiffusionImageGeneratorOptions options, IServiceProviderIsService? services)
    {
        if (options.Model is { } chosen) return DiffusionImageGeneratorOptions.IsKnownModel(chosen) ? chosen.ToLowerInvariant() : null;
        bool mnist = services?.IsService(typeof(MnistDataProvider)) == true;
        bool deepFloyd = services?.IsService(typeof(DeepFloydModelProvider)) == true;
        if (mnist && deepFloyd) throw new InvalidOperationException("Both AddMnist() and AddDeepFloyd() were called: set DiffusionImageGeneratorOptions.Model to \"mnist\" or \"deepfloyd\".");
        return mnist ? "mnist" : deepFloyd ? "deepfloyd" : null;
    }
}
