namespace Diffusion.Net.Schedules;

/// <summary>
/// One point of a diffusion process: the timestep a model is evaluated at, and the scales of x = α·x_0 + σ·ε there.
/// </summary>
/// <param name="Timestep">What the model receives (a table index, possibly fractional, or σ·T for rectified flow).</param>
/// <param name="Alpha">α, the signal scale.</param>
/// <param name="Sigma">σ, the noise scale (0 is clean data).</param>
/// <param name="NoiseToSignal">
/// σ/α, Karras et al.'s σ and diffusers' <c>sigmas</c>; held separately because diffusers rounds it to float32 on its own
/// path, and the σ-space samplers reproduce that arithmetic. +∞ at rectified flow's pure noise.
/// </param>
public readonly record struct NoiseLevel(double Timestep, double Alpha, double Sigma, double NoiseToSignal)
{
    /// <summary>Clean data at <paramref name="timestep"/>: α = 1, σ = 0.</summary>
    public static NoiseLevel Clean(double timestep) => new(timestep, 1, 0, 0);

    /// <summary>
    /// The variance-preserving level of a noise-to-signal ratio r: α = 1/√(r² + 1), σ = r·α (diffusers'
    /// <c>_sigma_to_alpha_sigma_t</c>).
    /// </summary>
    public static NoiseLevel VariancePreserving(double timestep, double noiseToSignal)
    {
        double alpha = 1 / Math.Sqrt(noiseToSignal * noiseToSignal + 1);
        return new NoiseLevel(timestep, alpha, noiseToSignal * alpha, noiseToSignal);
    }

    /// <summary>The rectified-flow level of σ ∈ [0, 1]: α = 1 − σ.</summary>
    public static NoiseLevel Flow(double timestep, double sigma)
        => new(timestep, 1 - sigma, sigma, sigma == 0 ? 0 : sigma >= 1 ? double.PositiveInfinity : sigma / (1 - sigma));

    /// <summary>Whether this is clean data (σ = 0).</summary>
    public bool IsClean => Sigma == 0;

    /// <summary>λ = log(α/σ), the half log signal-to-noise ratio DPM-Solver and UniPC step in (+∞ when clean).</summary>
    public double LogSnr => Math.Log(Alpha) - Math.Log(Sigma);

    /// <summary>The same point with both scales multiplied by <paramref name="factor"/> (a sample held as factor·x).</summary>
    public NoiseLevel Scaled(double factor) => factor == 1 ? this : this with { Alpha = Alpha * factor, Sigma = Sigma * factor };

    /// <inheritdoc />
    public override string ToString()
        => FormattableString.Invariant($"t={Timestep:0.###} (α={Alpha:0.#####}, σ={Sigma:0.#####})");
}
