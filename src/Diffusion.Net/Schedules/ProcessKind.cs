namespace Diffusion.Net.Schedules;

/// <summary>The family of a <see cref="IDiffusionProcess"/>.</summary>
public enum ProcessKind
{
    /// <summary>Variance preserving: α² + σ² = 1, α = √ᾱ (DDPM, DeepFloyd IF, CS180 Part B's DDPM).</summary>
    VariancePreserving,

    /// <summary>Rectified flow: x = (1 − σ)·x_0 + σ·ε on a straight path from data (σ = 0) to noise (σ = 1).</summary>
    RectifiedFlow,
}
