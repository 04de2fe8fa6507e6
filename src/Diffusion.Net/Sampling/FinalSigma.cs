namespace Diffusion.Net.Sampling;

/// <summary>Where a diffusers-style schedule ends (<c>final_sigmas_type</c>).</summary>
public enum FinalSigma
{
    /// <summary>Clean data, σ = 0: the last step returns the model's x̂_0 (diffusers' default).</summary>
    Zero,

    /// <summary>The schedule's smallest noise level, the table's σ at t = 0 (needed by ε-space DPM-Solver).</summary>
    SigmaMin,
}
