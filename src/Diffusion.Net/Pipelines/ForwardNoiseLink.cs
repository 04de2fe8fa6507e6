using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Pipelines;

/// <summary>Applies the forward process to a noise level with fresh noise: x = α·x_0 + σ·ε.</summary>
internal sealed class ForwardNoiseLink(NoiseLevel level) : IPipelineLink
{
    public NoiseLevel Level { get; } = level;

    public string Description => FormattableString.Invariant($"forward to t={Level.Timestep:0.###}");

    public int SamplerSteps(PipelineSettings settings) => 0;

    public long[] ValidateShape(long[]? input, PipelineSettings settings)
        => input ?? throw new InvalidOperationException("Forward noising needs an image: start the pipeline with From(...).");

    public Tensor Execute(Tensor? state, PipelineRunContext context)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var noise = context.Noise.Next(state.shape, state.dtype, state.device);
        return ForwardProcess.AddNoise(Level, state, noise);
    }
}
