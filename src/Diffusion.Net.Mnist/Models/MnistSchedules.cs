using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Models;

/// <summary>The CS180 Part B noise schedule and its time normalisation.</summary>
public static class MnistSchedules
{
    /// <summary>T = 300 linear β from 1e-4 to 0.02 (spec §3.3, with the indexing convention of §4.5).</summary>
    public static NoiseSchedule Cs180() => NoiseSchedules.Linear(1e-4, 0.02, 300);

    /// <summary>(i + 1)/T for timestep indices i: the paper's t/T with t = i + 1 ∈ {1 … T}.</summary>
    public static Tensor NormalisedTime(Tensor timesteps, INoiseSchedule schedule, Tensor like)
    {
        ArgumentNullException.ThrowIfNull(timesteps);
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(like);
        if (timesteps.dim() != 1 || timesteps.shape[0] != like.shape[0])
            throw new ArgumentException($"Timesteps must be [N] = [{like.shape[0]}]; got [{string.Join(", ", timesteps.shape)}].", nameof(timesteps));
        return (timesteps.to(ScalarType.Float32, like.device) + 1f).div((float)schedule.Length).to(like.dtype);
    }
}
