using Diffusion.Net.Hosting;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Mnist.Training;
using Diffusion.Net.Pipelines;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Hosting;

/// <summary>
/// Makes the CS180 MNIST networks on the configured device and dtype (<see cref="DiffusionOptions.Device"/> and
/// <see cref="DiffusionOptions.DType"/>, through <see cref="DiffusionRuntime"/>); registered by <c>AddMnist()</c>.
/// </summary>
/// <remarks>
/// A bfloat16 network serves a float32 sampling state (the UNets convert at their boundary), and a bfloat16 state
/// accumulates visible speckle over hundreds of DDPM updates, so <see cref="CreateRunOptions"/> keeps the state in
/// float32 unless float64 is configured.
/// </remarks>
public sealed class MnistModelProvider
{
    private readonly DiffusionRuntime _runtime;
    private readonly ILogger _logger;

    /// <summary>Creates the provider over the configured runtime.</summary>
    public MnistModelProvider(DiffusionRuntime runtime, ILogger<MnistModelProvider>? logger = null)
    {
        _runtime = runtime ?? throw new ArgumentNullException(nameof(runtime));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The device the networks are placed on.</summary>
    public Device Device => _runtime.Device;

    /// <summary>The dtype of the networks' parameters.</summary>
    public ScalarType DType => _runtime.DType;

    /// <summary>The recipe's untrained network (seeded as <see cref="MnistTraining.CreateModel"/>), on <see cref="Device"/> in <see cref="DType"/>.</summary>
    public UNetBackbone Create(MnistRecipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        return Place(MnistTraining.CreateModel(recipe), recipe, "created");
    }

    /// <summary>Loads trained weights (as <see cref="MnistTraining.Load"/>) onto <see cref="Device"/> in <see cref="DType"/>, in eval mode.</summary>
    public UNetBackbone Load(MnistRecipe recipe, string weightsPath)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentException.ThrowIfNullOrEmpty(weightsPath);
        return Place(MnistTraining.Load(recipe, weightsPath), recipe, weightsPath);
    }

    /// <summary>Run options for sampling a network of this provider: its device, a float32 state (float64 if configured), <paramref name="seed"/> or the default seed.</summary>
    public DiffusionRunOptions CreateRunOptions(long? seed = null)
        => _runtime.CreateRunOptions(seed) with { DType = DType == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32 };

    private UNetBackbone Place(UNetBackbone model, MnistRecipe recipe, string source)
    {
        try
        {
            model.to(DType).to(Device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        _logger.LogDebug("MNIST {Kind} network of recipe {Recipe} ({Source}) on {Device} in {DType}", recipe.Kind, recipe.Name, source, Device, DType);
        return model;
    }
}
