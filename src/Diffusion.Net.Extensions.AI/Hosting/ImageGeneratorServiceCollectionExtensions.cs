using Diffusion.Net.DeepFloyd.Hosting;
using Diffusion.Net.Extensions.AI;
using Diffusion.Net.Extensions.AI.DeepFloyd;
using Diffusion.Net.Extensions.AI.Hosting;
using Diffusion.Net.Extensions.AI.Mnist;
using Diffusion.Net.Hosting;
using Diffusion.Net.Mnist.Models;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a Diffusion.Net model as the application's <see cref="IImageGenerator"/>.</summary>
public static class ImageGeneratorServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="IImageGenerator"/> (a singleton) over the model package added before it:
    /// <c>services.AddDiffusion().AddMnist().AddImageGenerator(o => o.ModelPath = "out/mnist/quick/checkpoint/model.safetensors")</c>
    /// serves the MNIST class-conditioned model (<see cref="MnistImageGenerator"/>), and
    /// <c>services.AddDiffusion().AddDeepFloyd(o => …).AddImageGenerator()</c> DeepFloyd IF stage I
    /// (<see cref="DeepFloydImageGenerator"/>). With both packages added, set <see cref="DiffusionImageGeneratorOptions.Model"/>.
    /// The options are validated at start; the model loads on the first request, on <c>DiffusionOptions.Device</c> in
    /// <c>DiffusionOptions.DType</c>, and the container disposes it.
    /// </summary>
    /// <remarks>
    /// Microsoft.Extensions.AI's own <c>AddImageGenerator(IServiceCollection, …)</c> (in the Microsoft.Extensions.AI package,
    /// which this one deliberately does not reference) extends <c>IServiceCollection</c>; this one extends Diffusion.Net's
    /// builder, so the two never collide.
    /// </remarks>
    public static IDiffusionBuilder AddImageGenerator(this IDiffusionBuilder builder, Action<DiffusionImageGeneratorOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<DiffusionImageGeneratorOptions>();
        if (configure is not null) options.Configure(configure);
        options.ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DiffusionImageGeneratorOptions>, DiffusionImageGeneratorOptionsValidator>());
#pragma warning disable MEAI001 // IImageGenerator is experimental in Microsoft.Extensions.AI.Abstractions 10.x; this package implements that API on purpose.
        builder.Services.TryAddSingleton<IImageGenerator>(Create);
#pragma warning restore MEAI001
        return builder;
    }

#pragma warning disable MEAI001 // IImageGenerator is experimental in Microsoft.Extensions.AI.Abstractions 10.x; this package implements that API on purpose.
    private static IImageGenerator Create(IServiceProvider services)
#pragma warning restore MEAI001
    {
        var options = services.GetRequiredService<IOptions<DiffusionImageGeneratorOptions>>().Value;
        var runtime = services.GetService<DiffusionRuntime>();
        var loggers = services.GetService<ILoggerFactory>();
        Func<long, Diffusion.Net.Pipelines.DiffusionRunOptions>? runOptions = runtime is null ? null : seed => runtime.CreateRunOptions(seed);
        string kind = DiffusionImageGeneratorOptionsValidator.ResolveModel(options, services.GetService<IServiceProviderIsService>())
                      ?? throw new InvalidOperationException(DiffusionImageGeneratorOptionsValidator.NoModelMessage);
        if (kind == "deepfloyd")
        {
            var provider = services.GetRequiredService<DeepFloydModelProvider>();
            return new DeepFloydImageGenerator(async ct =>
            {
                var stage1 = await provider.Stage1Async(ct).ConfigureAwait(false);
                var prompts = await provider.PromptEncoderAsync(ct).ConfigureAwait(false);
                return new DeepFloydImageGenerator.Loaded(stage1, prompts);
            }, options, loggers?.CreateLogger<DeepFloydImageGenerator>(), runOptions);
        }
        string path = options.ModelPath!;
        // The validator has checked that the recipe exists and is class-conditioned; its objective names the default sampler.
        var objective = Diffusion.Net.Mnist.Training.MnistRecipes.Get(options.Recipe).Objective;
        return new MnistImageGenerator(ct => Task.Run(() => Load(path, options, runtime), ct), objective, ownsModel: true, options, loggers?.CreateLogger<MnistImageGenerator>(), runOptions);
    }

    private static ClassConditionalUNet Load(string path, DiffusionImageGeneratorOptions options, DiffusionRuntime? runtime)
    {
        var model = MnistImageGenerator.LoadModel(path, options.Recipe, options.Hidden);
        if (runtime is null) return model;
        // The UNet computes in its weight dtype (inputs are cast in and out), so casting the weights is what makes DType count.
        if (runtime.Device.type != DeviceType.CPU) model.to(runtime.Device);
        if (runtime.DType != ScalarType.Float32) model.to(runtime.DType);
        return model;
    }
}
