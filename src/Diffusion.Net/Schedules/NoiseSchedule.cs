namespace Diffusion.Net.Schedules;

/// <summary>A noise schedule given by its table of β (the common implementation of <see cref="INoiseSchedule"/>).</summary>
public sealed class NoiseSchedule : INoiseSchedule
{
    private readonly double[] _betas;
    private readonly double[] _alphaBars;

    /// <summary>Builds the schedule from β_0 … β_{T−1}.</summary>
    /// <param name="betas">Each in (0, 1].</param>
    /// <param name="precision">How ᾱ is accumulated; see <see cref="SchedulePrecision"/>.</param>
    /// <param name="name">A short description for logs.</param>
    public NoiseSchedule(IReadOnlyList<double> betas, SchedulePrecision precision = SchedulePrecision.Float64, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(betas);
        if (betas.Count == 0) throw new ArgumentException("A schedule needs at least one timestep.", nameof(betas));
        if (!Enum.IsDefined(precision)) throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown schedule precision.");
        _betas = new double[betas.Count];
        _alphaBars = new double[betas.Count];
        double product = 1.0;
        for (int i = 0; i < betas.Count; i++)
        {
            double beta = betas[i];
            if (!(beta > 0 && beta <= 1)) throw new ArgumentOutOfRangeException(nameof(betas), beta, $"β_{i} must lie in (0, 1].");
            if (precision == SchedulePrecision.PyTorchFloat32)
            {
                float beta32 = (float)beta;
                float alpha32 = 1f - beta32;
                product *= alpha32;
                _betas[i] = beta32;
                _alphaBars[i] = (float)product;
            }
            else
            {
                product *= 1.0 - beta;
                _betas[i] = beta;
                _alphaBars[i] = product;
            }
        }
        Precision = precision;
        Name = name ?? $"custom(T={betas.Count})";
    }

    /// <inheritdoc />
    public int Length => _betas.Length;

    /// <inheritdoc />
    public IReadOnlyList<double> Betas => _betas;

    /// <inheritdoc />
    public IReadOnlyList<double> AlphaBars => _alphaBars;

    /// <summary>How the table was rounded.</summary>
    public SchedulePrecision Precision { get; }

    /// <summary>A short description, e.g. <c>linear(1e-4, 0.02, T=300)</c>.</summary>
    public string Name { get; }

    /// <inheritdoc />
    public double AlphaBar(int timestep)
    {
        if (timestep == -1) return 1.0;
        if ((uint)timestep >= (uint)_alphaBars.Length)
            throw new ArgumentOutOfRangeException(nameof(timestep), timestep, $"Timestep must lie in [-1, {Length - 1}] for {Name}.");
        return _alphaBars[timestep];
    }

    /// <inheritdoc />
    public ProcessKind Kind => ProcessKind.VariancePreserving;

    /// <inheritdoc />
    public double MaxTimestep => Length - 1;

    /// <inheritdoc />
    public double CleanTimestep => -1;

    /// <summary>
    /// α = √ᾱ_t and σ = √(1 − ᾱ_t) at an integer timestep (−1 is clean data); between two entries σ/α is interpolated
    /// linearly, as diffusers' σ-space schedulers do (<c>np.interp</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The timestep is outside [0, T − 1] and not −1.</exception>
    public NoiseLevel At(double timestep) => DiscreteScheduleMath.At(this, timestep);

    /// <inheritdoc />
    public NoiseLevel AtNoiseToSignal(double noiseToSignal) => DiscreteScheduleMath.AtNoiseToSignal(this, noiseToSignal);

    /// <inheritdoc />
    public override string ToString() => Name;
}
