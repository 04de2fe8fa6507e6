namespace Diffusion.Net.Sampling;

/// <summary>The second-order update of DPM-Solver (diffusers' <c>solver_type</c>).</summary>
public enum DpmSolverType
{
    /// <summary>The midpoint form (diffusers' default).</summary>
    Midpoint,

    /// <summary>The Heun form.</summary>
    Heun,
}
