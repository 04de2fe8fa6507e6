namespace Diffusion.Net.Schedules;

/// <summary>
/// A diffusion process described by its signal and noise scales on the model's time axis: at timestep τ a noisy sample
/// is x_τ = α(τ)·x_0 + σ(τ)·ε. The discrete variance-preserving tables (<see cref="INoiseSchedule"/>: DDPM, CS180's
/// linear T = 300, DeepFloyd IF's cosine T = 1000) and rectified flow (<see cref="RectifiedFlow"/>, α = 1 − σ) are the
/// two families. The forward process, samplers, SDEdit's start, inpainting's replacement and the views all read the
/// process through this contract, so every technique runs on either family.
/// </summary>
/// <remarks>
/// Timesteps are what the model was trained to receive: table indices for a discrete schedule (fractional between two
/// entries where a σ-space sampler asks for one, as diffusers passes them), σ·T for rectified flow.
/// </remarks>
public interface IDiffusionProcess
{
    /// <summary>Which family the process belongs to.</summary>
    ProcessKind Kind { get; }

    /// <summary>The largest timestep a model of this process was trained at: pure noise, or as close as the process gets.</summary>
    double MaxTimestep { get; }

    /// <summary>The timestep that stands for clean data (α = 1, σ = 0): −1 for a discrete schedule, 0 for rectified flow.</summary>
    double CleanTimestep { get; }

    /// <summary>α(τ), σ(τ) and σ/α at a timestep in [<see cref="CleanTimestep"/>, <see cref="MaxTimestep"/>].</summary>
    /// <exception cref="ArgumentOutOfRangeException">The timestep is outside the process or not finite.</exception>
    NoiseLevel At(double timestep);

    /// <summary>
    /// The level whose noise-to-signal ratio σ/α is <paramref name="noiseToSignal"/> (Karras et al.'s σ), with the timestep
    /// a model of this process receives there: diffusers' log-σ interpolation of the table for a discrete schedule
    /// (<c>_sigma_to_t</c>), σ·T for rectified flow. Zero is clean data.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The ratio is negative or not a number.</exception>
    NoiseLevel AtNoiseToSignal(double noiseToSignal);
}
