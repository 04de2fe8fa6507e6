namespace Diffusion.Net.Sampling;

/// <summary>Options of <see cref="UniPcSampler"/>, with diffusers' <c>UniPCMultistepScheduler</c> names and defaults.</summary>
/// <remarks>
/// x̂_0 limits (thresholding, clipping, a data range) apply to the data prediction, so they need <see cref="PredictX0"/>;
/// diffusers ignores thresholding on the noise-prediction path, and here that combination is rejected instead.
/// </remarks>
public sealed record UniPcOptions : SamplerOptions
{
    /// <summary>
    /// The order p of UniP (diffusers' <c>solver_order</c>): 1, 2 (the default, for guided sampling) or 3 (for
    /// unconditional sampling); with the corrector the order of accuracy is p + 1.
    /// </summary>
    public int Order { get; init; } = 2;

    /// <summary>The B(h) of the update (diffusers' <c>solver_type</c>).</summary>
    public UniPcSolverType SolverType { get; init; } = UniPcSolverType.Bh2;

    /// <summary>Step the data prediction x̂_0 (the default) rather than the noise prediction ε̂ (diffusers' <c>predict_x0</c>).</summary>
    public bool PredictX0 { get; init; } = true;

    /// <summary>
    /// Lower the order of the last steps so that step i uses at most n − i earlier outputs (diffusers'
    /// <c>lower_order_final</c>; unlike DPM-Solver, whatever the step count n).
    /// </summary>
    public bool LowerOrderFinal { get; init; } = true;

    /// <summary>
    /// Steps whose result is not corrected (diffusers' <c>disable_corrector</c>): for an entry k, UniC does not refine the
    /// state step k produced (it would at the start of step k + 1). Disabling the first steps mitigates the misalignment
    /// of ε̂(x_t) and ε̂(x_t^c) under a large guidance scale.
    /// </summary>
    public IReadOnlyList<int> DisableCorrector { get; init; } = [];

    /// <summary>Space σ/α as Karras et al. (ρ = 7) instead of the timestep spacing (diffusers' <c>use_karras_sigmas</c>).</summary>
    public bool KarrasSigmas { get; init; }

    /// <summary>Where the schedule ends (diffusers' <c>final_sigmas_type</c>); the noise-prediction update needs <see cref="Sampling.FinalSigma.SigmaMin"/>.</summary>
    public FinalSigma FinalSigma { get; init; } = FinalSigma.Zero;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (!Enum.IsDefined(SolverType)) throw new ArgumentOutOfRangeException(nameof(SolverType), SolverType, "Unknown UniPC solver type (bh1, bh2).");
        if (!Enum.IsDefined(FinalSigma)) throw new ArgumentOutOfRangeException(nameof(FinalSigma), FinalSigma, "Unknown final σ (zero, sigma_min).");
        if (Order < 1 || Order > 3)
            throw new ArgumentOutOfRangeException(nameof(Order), Order, "UniPC has orders 1 to 3 here (diffusers recommends 2 for guided and 3 for unconditional sampling).");
        if (DisableCorrector is null) throw new ArgumentNullException(nameof(DisableCorrector), "Use an empty list to keep the corrector at every step.");
        foreach (int k in DisableCorrector)
            if (k < 0) throw new ArgumentOutOfRangeException(nameof(DisableCorrector), k, "Step indices must be non-negative.");
        if (!PredictX0 && FinalSigma == FinalSigma.Zero)
            throw new ArgumentOutOfRangeException(nameof(FinalSigma), FinalSigma, "The noise-prediction UniPC update cannot step to σ = 0 (its e^h − 1 is infinite there); use FinalSigma.SigmaMin, or PredictX0.");
        if (!PredictX0 && LimitsOriginal)
            throw new ArgumentException("Thresholding, clipping and the data range limit x̂_0, which only the data-prediction update steps (diffusers ignores them otherwise); set PredictX0 or drop the limits.", nameof(PredictX0));
    }
}
