namespace Diffusion.Net.Prediction;

/// <summary>
/// What a model's output means, with diffusers' <c>prediction_type</c> names. For x = α·x_0 + σ·ε every kind carries
/// the same information given x and the noise level; <see cref="PredictionConversion"/> turns one into another.
/// </summary>
public enum PredictionKind
{
    /// <summary>ε̂, the noise (diffusers' <c>epsilon</c>; DDPM, DeepFloyd IF, CS180's DDPM UNets).</summary>
    Epsilon,

    /// <summary>x̂_0, the clean sample (diffusers' <c>sample</c>).</summary>
    Sample,

    /// <summary>v = α·ε − σ·x_0 on a variance-preserving process (Salimans &amp; Ho 2022; diffusers' <c>v_prediction</c>).</summary>
    Velocity,

    /// <summary>
    /// The flow velocity v = dx/dσ = ε − x_0 on a rectified-flow path (diffusers' <c>FlowMatchEulerDiscreteScheduler</c>
    /// convention; CS180's u = x_1 − x_0 is its negative).
    /// </summary>
    FlowVelocity,
}
