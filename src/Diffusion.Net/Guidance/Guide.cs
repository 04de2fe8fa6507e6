using Diffusion.Net.Prediction;

namespace Diffusion.Net.Guidance;

/// <summary>Factories for <see cref="IGuidance"/>.</summary>
public static class Guide
{
    /// <summary>No guidance: the conditional prediction.</summary>
    public static IGuidance None => NoGuidance.Instance;

    /// <summary>Classifier-free guidance with scale γ; see <see cref="ClassifierFreeGuidance"/>.</summary>
    public static ClassifierFreeGuidance ClassifierFree(double scale, Condition? unconditional = null) => new(scale, unconditional);

    /// <summary>
    /// <paramref name="inner"/> only for timesteps in [<paramref name="minTimestep"/>, <paramref name="maxTimestep"/>], the
    /// plain conditional prediction elsewhere; see <see cref="IntervalGuidance"/>.
    /// </summary>
    public static IntervalGuidance Interval(IGuidance inner, double minTimestep, double maxTimestep) => new(inner, minTimestep, maxTimestep);

    /// <summary>Limits <paramref name="guidance"/> to timesteps in [<paramref name="minTimestep"/>, <paramref name="maxTimestep"/>].</summary>
    public static IntervalGuidance Within(this IGuidance guidance, double minTimestep, double maxTimestep) => new(guidance, minTimestep, maxTimestep);
}
