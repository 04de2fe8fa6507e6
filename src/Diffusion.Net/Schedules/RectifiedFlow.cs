namespace Diffusion.Net.Schedules;

/// <summary>
/// Rectified flow (Liu et al. 2023; Lipman et al.'s flow matching with the straight "conditional OT" path):
/// x_σ = (1 − σ)·x_0 + σ·ε for σ ∈ [0, 1], with diffusers' time axis: a model receives the timestep τ = σ·T
/// (<c>FlowMatchEulerDiscreteScheduler</c>, T = 1000), so τ = T is pure noise and τ = 0 clean data. Models predict the
/// flow velocity v = dx/dσ = ε − x_0 (<see cref="Prediction.PredictionKind.FlowVelocity"/>).
/// </summary>
/// <remarks>
/// CS180's newer Part B writes the same path with t = 1 − σ from noise (t = 0) to data (t = 1) and a target
/// u = x_1 − x_0 = −v; a model trained that way maps its time and sign at its own boundary.
/// </remarks>
public sealed class RectifiedFlow : IDiffusionProcess
{
    /// <summary>Creates the process.</summary>
    /// <param name="trainingTimesteps">T, the timestep of pure noise (diffusers' <c>num_train_timesteps</c>).</param>
    public RectifiedFlow(int trainingTimesteps = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(trainingTimesteps, 1);
        TrainingTimesteps = trainingTimesteps;
    }

    /// <summary>T.</summary>
    public int TrainingTimesteps { get; }

    /// <inheritdoc />
    public ProcessKind Kind => ProcessKind.RectifiedFlow;

    /// <inheritdoc />
    public double MaxTimestep => TrainingTimesteps;

    /// <inheritdoc />
    public double CleanTimestep => 0;

    /// <summary>σ at a timestep: τ/T.</summary>
    public double SigmaAt(double timestep) => timestep / TrainingTimesteps;

    /// <inheritdoc />
    public NoiseLevel At(double timestep)
    {
        if (!(timestep >= 0 && timestep <= TrainingTimesteps))
            throw new ArgumentOutOfRangeException(nameof(timestep), timestep, $"A rectified-flow timestep must lie in [0, {TrainingTimesteps}] (σ·T).");
        return NoiseLevel.Flow(timestep, timestep / TrainingTimesteps);
    }

    /// <inheritdoc />
    public NoiseLevel AtNoiseToSignal(double noiseToSignal)
    {
        if (!(noiseToSignal >= 0)) throw new ArgumentOutOfRangeException(nameof(noiseToSignal), noiseToSignal, "The noise-to-signal ratio must be a non-negative number.");
        double sigma = double.IsPositiveInfinity(noiseToSignal) ? 1 : noiseToSignal / (1 + noiseToSignal);
        return NoiseLevel.Flow(sigma * TrainingTimesteps, sigma);
    }

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"rectified flow (T={TrainingTimesteps})");
}
