using Diffusion.Net.Guidance;
using Diffusion.Net.Sampling;

namespace Diffusion.Net.Pipelines;

/// <summary>Settings that apply to every denoising loop of a pipeline unless the loop overrides them.</summary>
public sealed record PipelineSettings
{
    /// <summary>The guidance (default none).</summary>
    public IGuidance Guidance { get; init; } = NoGuidance.Instance;

    /// <summary>The sampler (default DDPM with σ² = β_t).</summary>
    public ISampler Sampler { get; init; } = new DdpmSampler();

    /// <summary>Hooks applied after every sampler step (e.g. inpainting's replacement).</summary>
    public IReadOnlyList<IStepHook> Hooks { get; init; } = [];

    /// <summary>Capture a trajectory frame every this many steps (0 = off). The final step is always captured when on.</summary>
    public int CaptureEvery { get; init; }
}
