namespace Diffusion.Net.Sampling;

/// <summary>The DPM-Solver variants of diffusers' <c>algorithm_type</c>.</summary>
public enum DpmSolverAlgorithm
{
    /// <summary>DPM-Solver++ (Lu et al. 2022b): the data-prediction solver, the one for guided sampling (<c>dpmsolver++</c>).</summary>
    DpmSolverPlusPlus,

    /// <summary>DPM-Solver (Lu et al. 2022a): the noise-prediction solver (<c>dpmsolver</c>).</summary>
    DpmSolver,

    /// <summary>SDE-DPM-Solver++: the stochastic data-prediction solver, one noise draw per step (<c>sde-dpmsolver++</c>).</summary>
    SdeDpmSolverPlusPlus,
}
