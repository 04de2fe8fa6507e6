namespace Diffusion.Net.Sampling;

/// <summary>
/// Options of <see cref="EulerSampler"/>, with the names and defaults of diffusers' <c>EulerDiscreteScheduler</c> (on a
/// variance-preserving process) and <c>FlowMatchEulerDiscreteScheduler</c> (on rectified flow). The churn parameters
/// are Karras et al.'s (2022, algorithm 2) S_churn, S_tmin, S_tmax and S_noise, which diffusers passes to <c>step</c>.
/// </summary>
/// <remarks>
/// diffusers' <c>interpolation_type = "log_linear"</c> is not offered: in 0.29.2 it builds n + 1 σ values for n
/// timesteps, so the run ends at σ_min instead of clean data and its σ do not belong to its timesteps.
/// <c>timestep_type = "continuous"</c> (timesteps ¼ log σ for v-prediction EDM models) is not offered either.
/// </remarks>
public sealed record EulerSamplerOptions : SamplerOptions
{
    /// <summary>
    /// Marks the sampler as diffusers' <c>FlowMatchEulerDiscreteScheduler</c>: it then accepts only rectified-flow
    /// schedules, so that a flow sampler given a variance-preserving model fails at validation instead of sampling noise.
    /// Without it the process decides (Euler on VP, flow-matching Euler on rectified flow).
    /// </summary>
    public bool FlowMatching { get; init; }

    /// <summary>
    /// The time shift s of the flow-matching grid, σ ← sσ/(1 + (s − 1)σ) (Esser et al. 2024, SD3: 3.0; diffusers'
    /// <c>shift</c>). Applies only on rectified flow; a value other than 1 on a variance-preserving process is an error.
    /// </summary>
    public double Shift { get; init; } = 1.0;

    /// <summary>Space σ/α as Karras et al. (ρ = 7) between the spaced grid's ends (diffusers' <c>use_karras_sigmas</c>); VP only.</summary>
    public bool KarrasSigmas { get; init; }

    /// <summary>σ_min of the Karras grid instead of the spaced grid's smallest σ/α (diffusers' <c>sigma_min</c>); only with Karras σ.</summary>
    public double? SigmaMin { get; init; }

    /// <summary>σ_max of the Karras grid instead of the spaced grid's largest σ/α (diffusers' <c>sigma_max</c>); only with Karras σ.</summary>
    public double? SigmaMax { get; init; }

    /// <summary>
    /// Where the schedule ends (diffusers' <c>final_sigmas_type</c>); VP only. <see cref="Sampling.FinalSigma.SigmaMin"/>
    /// needs a grid that stops above t = 0 (trailing spacing, leading with an offset, or Karras σ with a larger
    /// <see cref="SigmaMin"/>): otherwise diffusers repeats σ(0) and takes a step of size zero.
    /// </summary>
    public FinalSigma FinalSigma { get; init; } = FinalSigma.Zero;

    /// <summary>
    /// S_churn: the total noise added back over the run (σ̂ = σ(1 + γ), γ = min(S_churn/n, √2 − 1)); 0, the default, is
    /// the deterministic Euler ODE step. With 0 no noise is drawn (diffusers draws one tensor per step and multiplies it
    /// by zero; skipping that draw shifts the order of later draws from a shared generator).
    /// </summary>
    public double SChurn { get; init; }

    /// <summary>S_tmin: churn only at levels with σ ≥ this (in the sampler's σ: σ/α on VP, σ on flow).</summary>
    public double STMin { get; init; }

    /// <summary>S_tmax: churn only at levels with σ ≤ this (+∞ by default).</summary>
    public double STMax { get; init; } = double.PositiveInfinity;

    /// <summary>S_noise: the scale of the churn noise (1 by default; Karras et al. use slightly above 1).</summary>
    public double SNoise { get; init; } = 1.0;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (!(Shift > 0) || !double.IsFinite(Shift)) throw new ArgumentOutOfRangeException(nameof(Shift), Shift, "The time shift must be a positive finite number (1 = no shift).");
        if (!Enum.IsDefined(FinalSigma)) throw new ArgumentOutOfRangeException(nameof(FinalSigma), FinalSigma, "Unknown final σ (zero, sigma_min).");
        if (!(SChurn >= 0) || !double.IsFinite(SChurn)) throw new ArgumentOutOfRangeException(nameof(SChurn), SChurn, "S_churn must be a finite non-negative number (0 = no churn).");
        if (!(STMin >= 0) || !double.IsFinite(STMin)) throw new ArgumentOutOfRangeException(nameof(STMin), STMin, "S_tmin must be a finite non-negative number.");
        if (!(STMax >= STMin)) throw new ArgumentOutOfRangeException(nameof(STMax), STMax, "S_tmax must be at least S_tmin (+∞ = no upper bound).");
        if (!(SNoise >= 0) || !double.IsFinite(SNoise)) throw new ArgumentOutOfRangeException(nameof(SNoise), SNoise, "S_noise must be a finite non-negative number.");
        foreach (var (name, value) in new[] { (nameof(SigmaMin), SigmaMin), (nameof(SigmaMax), SigmaMax) })
        {
            if (value is not { } v) continue;
            if (!(v > 0) || !double.IsFinite(v)) throw new ArgumentOutOfRangeException(name, v, "A Karras σ bound must be a positive finite number.");
            if (!KarrasSigmas) throw new ArgumentOutOfRangeException(name, v, "σ_min and σ_max bound the Karras grid only; set KarrasSigmas, or leave them null.");
        }
        if (SigmaMin is { } min && SigmaMax is { } max && !(min < max))
            throw new ArgumentOutOfRangeException(nameof(SigmaMin), min, FormattableString.Invariant($"σ_min must lie below σ_max ({max})."));
        if (FlowMatching)
        {
            if (KarrasSigmas) throw new ArgumentOutOfRangeException(nameof(KarrasSigmas), KarrasSigmas, "Flow-matching Euler walks rectified flow's shifted σ grid; Karras σ is defined on a discrete schedule's σ/α range.");
            if (FinalSigma != FinalSigma.Zero) throw new ArgumentOutOfRangeException(nameof(FinalSigma), FinalSigma, "Flow-matching Euler always ends on clean data (σ = 0).");
            if (Spacing != TimestepSpacing.Linspace || StepsOffset != 0)
                throw new ArgumentOutOfRangeException(nameof(Spacing), Spacing, "Flow-matching Euler spaces σ evenly (then shifts it); timestep spacing and steps_offset apply to discrete schedules.");
        }
    }
}
