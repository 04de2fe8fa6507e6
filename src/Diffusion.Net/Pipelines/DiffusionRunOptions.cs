using Diffusion.Net.Sampling;
using static TorchSharp.torch;

namespace Diffusion.Net.Pipelines;

/// <summary>Per-run settings of a <see cref="DiffusionPipeline"/>.</summary>
public sealed record DiffusionRunOptions
{
    /// <summary>The seed of the run's <c>torch.Generator</c>; every random draw comes from it.</summary>
    public long Seed { get; init; }

    /// <summary>The device tensors live on (default CPU). The model must be on the same device.</summary>
    public Device? Device { get; init; }

    /// <summary>The working dtype (default float32; bfloat16 is supported; never float16 on CPU, it is very slow).</summary>
    public ScalarType DType { get; init; } = ScalarType.Float32;

    /// <summary>
    /// Overrides the source of random draws (tests use it to inject known noise). When null, a CPU generator
    /// seeded with <see cref="Seed"/> is used.
    /// </summary>
    public INoiseSource? NoiseSource { get; init; }

    /// <summary>
    /// Whether the run ends by returning the C heap's free pages to the system (<see cref="Hosting.NativeHeap.ReleaseFreedMemory"/>;
    /// default true), so that repeated runs hold the process's memory at one run's peak. Skipped after the application
    /// called <see cref="Hosting.NativeHeap.KeepLargeBuffers"/>, which asks for freed buffers to stay resident.
    /// </summary>
    public bool ReleaseFreedMemory { get; init; } = true;

    /// <summary>Checks the options.</summary>
    public void Validate()
    {
        if (DType is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentOutOfRangeException(nameof(DType), DType, "The working dtype must be a floating-point type.");
    }
}
