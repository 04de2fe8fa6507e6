using System.Drawing;
using Microsoft.Extensions.AI;

namespace Diffusion.Net.Extensions.AI;

/// <summary>
/// What <c>GetService(typeof(ImageGeneratorMetadata))</c> returns for a Diffusion.Net generator: the provider name
/// (<c>diffusion-net</c>), the model id, and what the model can make.
/// </summary>
#pragma warning disable MEAI001 // ImageGeneratorMetadata is experimental in Microsoft.Extensions.AI.Abstractions 10.x; this package implements that API on purpose.
public sealed class DiffusionImageGeneratorMetadata : ImageGeneratorMetadata
#pragma warning restore MEAI001
{
    /// <summary>The provider name every Diffusion.Net generator reports.</summary>
    public const string Provider = "diffusion-net";

    /// <summary>Creates the metadata.</summary>
    public DiffusionImageGeneratorMetadata(string modelId, Size defaultImageSize, int maxCount, string defaultSampler)
        : base(Provider, null, modelId)
    {
        DefaultImageSize = defaultImageSize;
        MaxCount = maxCount;
        DefaultSampler = defaultSampler;
    }

    /// <summary>The size an image gets when the request names none (MNIST: 28 × 28; IF stage I: its sample size).</summary>
    public Size DefaultImageSize { get; }

    /// <summary>The most images one request may ask for.</summary>
    public int MaxCount { get; }

    /// <summary>The sampler a request without one uses.</summary>
    public string DefaultSampler { get; }
}
