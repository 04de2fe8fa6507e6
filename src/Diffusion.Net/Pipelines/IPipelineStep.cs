using Diffusion.Net.Guidance;
using Diffusion.Net.Sampling;
using static TorchSharp.torch;

namespace Diffusion.Net.Pipelines;

/// <summary>
/// One link of a <see cref="DiffusionPipeline"/>: a source (noise, an image), a transform (forward noising, blur),
/// or a denoising loop. Steps are small immutable objects; the pipeline runs them in order on one state tensor.
/// </summary>
public interface IPipelineStep
{
    /// <summary>A short description for progress and logs.</summary>
    string Description { get; }

    /// <summary>The number of denoising steps this link takes (0 for sources and transforms).</summary>
    int DenoisingSteps { get; }

    /// <summary>
    /// Checks the link against the incoming state shape (null before any source) without touching tensors, and
    /// returns the outgoing shape. Throws a typed exception naming the problem.
    /// </summary>
    long[] ValidateShape(long[]? input, PipelineSettings settings);

    /// <summary>Runs the link. The incoming state is owned by the pipeline; return a new tensor (owned by the caller).</summary>
    Tensor Execute(Tensor? state, PipelineRunContext context);
}

/// <summary>Settings that apply to every denoising link unless the link overrides them.</summary>
public sealed record PipelineSettings
{
    /// <summary>The guidance (default none).</summary>
    public IGuidance Guidance { get; init; } = NoGuidance.Instance;

    /// <summary>The sampler (default DDPM with σ² = β_t).</summary>
    public ISampler Sampler { get; init; } = new DdpmSampler();

    /// <summary>Hooks applied after every denoising step (e.g. inpainting's replacement).</summary>
    public IReadOnlyList<IStepHook> Hooks { get; init; } = [];

    /// <summary>Capture a trajectory frame every this many steps (0 = off). The final step is always captured when on.</summary>
    public int CaptureEvery { get; init; }
}
