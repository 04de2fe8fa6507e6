using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Models;

/// <summary>The CS180 Part B noise schedule, the flow models' process, and how each network's time input is formed.</summary>
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

    /// <summary>The flow models' process: rectified flow on diffusers' axis τ = σ·1000 (σ = 1 − t in CS180's terms).</summary>
    public static RectifiedFlow Flow() => new(1000);

    /// <summary>
    /// CS180's flow time t = 1 − τ/T of engine timesteps τ ([N]): the network was trained on t (0 = noise, 1 = data) while
    /// samplers walk σ = τ/T from noise (1) to data (0).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A timestep lies outside [0, T], so t would leave [0, 1].</exception>
    public static Tensor FlowTime(Tensor timesteps, RectifiedFlow flow, Tensor like)
    {
        ArgumentNullException.ThrowIfNull(timesteps);
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(like);
        if (timesteps.dim() != 1 || timesteps.shape[0] != like.shape[0])
            throw new ArgumentException($"Timesteps must be [N] = [{like.shape[0]}]; got [{string.Join(", ", timesteps.shape)}].", nameof(timesteps));
        using var tau = timesteps.to(ScalarType.Float32, CPU);
        float min = tau.min().item<float>(), max = tau.max().item<float>();
        if (!(min >= 0 && max <= flow.TrainingTimesteps))
            throw new ArgumentOutOfRangeException(nameof(timesteps), FormattableString.Invariant(
                $"A flow model's timesteps must lie in [0, {flow.TrainingTimesteps}] (τ = (1 − t)·T for t ∈ [0, 1]); got [{min}, {max}]."));
        return (1f - timesteps.to(ScalarType.Float32, like.device) / (float)flow.TrainingTimesteps).to(like.dtype);
    }

    /// <summary>The (objective, DDPM schedule, process) a network is built with.</summary>
    internal static (MnistObjective, INoiseSchedule?, IDiffusionProcess) ForObjective(MnistObjective objective, INoiseSchedule? schedule)
    {
        switch (objective)
        {
            case MnistObjective.Ddpm:
                var table = schedule ?? Cs180();
                return (objective, table, table);
            case MnistObjective.Flow:
                if (schedule is not null) throw new ArgumentException("A flow model has no DDPM noise schedule; pass none.", nameof(schedule));
                return (objective, null, Flow());
            default:
                throw new ArgumentOutOfRangeException(nameof(objective), objective, "Unknown objective (ddpm or flow).");
        }
    }

    /// <summary>What a network of <paramref name="objective"/> outputs, as the engine reads it.</summary>
    internal static PredictionKind OutputKind(MnistObjective objective) => objective == MnistObjective.Flow ? PredictionKind.FlowVelocity : PredictionKind.Epsilon;
}
