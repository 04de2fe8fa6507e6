using static TorchSharp.torch;

namespace Diffusion.Net.Pipelines;

/// <summary>
/// One link of a <see cref="DiffusionPipeline"/>: a source (noise, an image), a transform (forward noising, blur), or a
/// denoising loop. Links are small immutable objects; the pipeline runs them in order on one state tensor.
/// </summary>
internal interface IPipelineLink
{
    /// <summary>A short description for progress and logs.</summary>
    string Description { get; }

    /// <summary>
    /// Checks the link against the incoming state shape (null before any source) without touching tensors, and returns
    /// the outgoing shape. Throws a typed exception naming the problem.
    /// </summary>
    long[] ValidateShape(long[]? input, PipelineSettings settings);

    /// <summary>Whether the link's output is a pure standard normal draw (the state a sampler scales by its initial noise σ).</summary>
    bool ProducesPureNoise => false;

    /// <summary>The sampler steps this link takes with <paramref name="settings"/> (0 for sources and transforms).</summary>
    int SamplerSteps(PipelineSettings settings);

    /// <summary>Runs the link. The incoming state is owned by the pipeline; return a new tensor (owned by the caller).</summary>
    Tensor Execute(Tensor? state, PipelineRunContext context);
}
