namespace Diffusion.Net.Sampling;

/// <summary>Options of <see cref="DpmSolverSampler"/>, with diffusers' <c>DPMSolverMultistepScheduler</c> names and defaults.</summary>
public sealed record DpmSolverOptions : SamplerOptions
{
    /// <summary>The solver order: 1, 2 (the default, DPM-Solver++(2M)) or 3 (3M); 1 or 2 for the SDE variant.</summary>
    public int Order { get; init; } = 2;

    /// <summary>Which DPM-Solver (diffusers' <c>algorithm_type</c>).</summary>
    public DpmSolverAlgorithm Algorithm { get; init; } = DpmSolverAlgorithm.DpmSolverPlusPlus;

    /// <summary>The second-order update (diffusers' <c>solver_type</c>; midpoint is the default and the better one for guided sampling).</summary>
    public DpmSolverType SolverType { get; init; } = DpmSolverType.Midpoint;

    /// <summary>Lower the order of the last steps when the run has fewer than 15 (diffusers' <c>lower_order_final</c>).</summary>
    public bool LowerOrderFinal { get; init; } = true;

    /// <summary>Take a first-order last step whatever the step count (diffusers' <c>euler_at_final</c>).</summary>
    public bool EulerAtFinal { get; init; }

    /// <summary>Space σ/α as Karras et al. (ρ = 7) instead of the timestep spacing (diffusers' <c>use_karras_sigmas</c>).</summary>
    public bool KarrasSigmas { get; init; }

    /// <summary>Where the schedule ends (diffusers' <c>final_sigmas_type</c>); ε-space DPM-Solver needs <see cref="Sampling.FinalSigma.SigmaMin"/>.</summary>
    public FinalSigma FinalSigma { get; init; } = FinalSigma.Zero;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (!Enum.IsDefined(Algorithm)) throw new ArgumentOutOfRangeException(nameof(Algorithm), Algorithm, "Unknown DPM-Solver algorithm.");
        if (!Enum.IsDefined(SolverType)) throw new ArgumentOutOfRangeException(nameof(SolverType), SolverType, "Unknown DPM-Solver update (midpoint, heun).");
        if (!Enum.IsDefined(FinalSigma)) throw new ArgumentOutOfRangeException(nameof(FinalSigma), FinalSigma, "Unknown final σ (zero, sigma_min).");
        int max = Algorithm == DpmSolverAlgorithm.SdeDpmSolverPlusPlus ? 2 : 3;
        if (Order < 1 || Order > max)
            throw new ArgumentOutOfRangeException(nameof(Order), Order, $"{Algorithm} has orders 1 to {max}.");
        if (Algorithm == DpmSolverAlgorithm.DpmSolver && FinalSigma == FinalSigma.Zero)
            throw new ArgumentOutOfRangeException(nameof(FinalSigma), FinalSigma, "ε-space DPM-Solver cannot step to σ = 0 (its update divides by it); use FinalSigma.SigmaMin, or DPM-Solver++.");
    }
}
