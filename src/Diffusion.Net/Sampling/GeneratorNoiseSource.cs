using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>
/// Noise from a caller-seeded <c>torch.Generator</c>. Draws are made in float32 on the generator's device and
/// then converted, so the same seed gives the same noise whatever the working dtype and device, and a CPU
/// generator reproduces PyTorch's <c>torch.randn(shape, generator=g)</c> exactly.
/// </summary>
public sealed class GeneratorNoiseSource : INoiseSource
{
    /// <summary>Wraps <paramref name="generator"/> (not owned).</summary>
    public GeneratorNoiseSource(Generator generator) => Generator = generator ?? throw new ArgumentNullException(nameof(generator));

    /// <summary>The generator.</summary>
    public Generator Generator { get; }

    /// <inheritdoc />
    public Tensor Next(long[] shape, ScalarType dtype, Device device)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var noise = randn(shape, ScalarType.Float32, Generator.device, generator: Generator);
        if (noise.dtype == dtype && noise.device == device) return noise;
        var converted = noise.to(dtype, device);
        noise.Dispose();
        return converted;
    }
}
