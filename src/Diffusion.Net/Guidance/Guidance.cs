namespace Diffusion.Net;

/// <summary>Factories for <see cref="IGuidance"/>.</summary>
public static class Guidance
{
    /// <summary>No guidance: the conditional prediction.</summary>
    public static IGuidance None => NoGuidance.Instance;

    /// <summary>Classifier-free guidance with scale γ; see <see cref="ClassifierFreeGuidance"/>.</summary>
    public static ClassifierFreeGuidance ClassifierFree(double scale, Condition? unconditional = null) => new(scale, unconditional);
}
