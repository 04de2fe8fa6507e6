namespace Diffusion.Net.Sampling;

/// <summary>The B(h) of UniPC's update (diffusers' <c>solver_type</c>; Zhao et al. 2023, §3.3).</summary>
public enum UniPcSolverType
{
    /// <summary>B(h) = h (<c>bh1</c>): recommended for unconditional sampling in under 10 steps.</summary>
    Bh1,

    /// <summary>B(h) = e^h − 1 (<c>bh2</c>, diffusers' default): recommended otherwise, and for guided sampling.</summary>
    Bh2,
}
