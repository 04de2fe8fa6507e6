using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Pipelines;

/// <summary>Applies the forward process to timestep t with fresh noise: x_t = √ᾱ_t x + √(1 − ᾱ_t) ε.</summary>
public sealed class ForwardNoiseStep : IPipelineStep
{
    /// <summary>Creates the step.</summary>
    public ForwardNoiseStep(INoiseSchedule schedule, int timestep)
    {
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        SamplerMath.CheckTimestep(schedule, timestep, nameof(timestep));
        Timestep = timestep;
    }

    /// <summary>The schedule.</summary>
    public INoiseSchedule Schedule { get; }

    /// <summary>The target timestep.</summary>
    public int Timestep { get; }

    /// <inheritdoc />
    public string Description => $"forward to t={Timestep}";

    /// <inheritdoc />
    public int DenoisingSteps => 0;

    /// <inheritdoc />
    public long[] ValidateShape(long[]? input, PipelineSettings settings)
        => input ?? throw new InvalidOperationException("Forward noising needs an image: start the pipeline with From(...).");

    /// <inheritdoc />
    public Tensor Execute(Tensor? state, PipelineRunContext context)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var noise = context.Noise.Next(state.shape, state.dtype, state.device);
        return ForwardProcess.AddNoise(Schedule, state, noise, Timestep);
    }
}
