namespace Diffusion.Net.Schedules;

/// <summary>
/// A discrete diffusion noise schedule over <see cref="Length"/> training timesteps: the variances β_t, the
/// α_t = 1 − β_t and the cumulative products ᾱ_t = ∏_{s≤t} α_s, held in float64. It carries no weights; samplers
/// and the forward process read it. As a <see cref="IDiffusionProcess"/> it is variance preserving with α = √ᾱ_t and
/// σ = √(1 − ᾱ_t); between two entries σ/α is interpolated linearly, as diffusers' σ-space schedulers do.
/// </summary>
/// <remarks>
/// Timesteps are array indices t ∈ [0, Length − 1], as in diffusers. The value t = −1 stands for the clean data and
/// has ᾱ = 1; samplers use it as the "previous timestep" of the last step. Papers that number steps 1…T (DDPM,
/// CS180 Part B) map their t to the index t − 1, so that their ᾱ_0 := 1 is index −1.
/// </remarks>
public interface INoiseSchedule : IDiffusionProcess
{
    /// <summary>The number of training timesteps T.</summary>
    int Length { get; }

    /// <summary>β_t for t = 0 … T − 1.</summary>
    IReadOnlyList<double> Betas { get; }

    /// <summary>ᾱ_t for t = 0 … T − 1.</summary>
    IReadOnlyList<double> AlphaBars { get; }

    /// <summary>ᾱ_t; 1 for t = −1 (clean data).</summary>
    /// <exception cref="ArgumentOutOfRangeException">t is outside [−1, T − 1].</exception>
    double AlphaBar(int timestep);

    /// <inheritdoc />
    ProcessKind IDiffusionProcess.Kind => ProcessKind.VariancePreserving;

    /// <inheritdoc />
    double IDiffusionProcess.MaxTimestep => Length - 1;

    /// <inheritdoc />
    double IDiffusionProcess.CleanTimestep => -1;

    /// <inheritdoc />
    NoiseLevel IDiffusionProcess.At(double timestep) => DiscreteScheduleMath.At(this, timestep);

    /// <inheritdoc />
    NoiseLevel IDiffusionProcess.AtNoiseToSignal(double noiseToSignal) => DiscreteScheduleMath.AtNoiseToSignal(this, noiseToSignal);
}
