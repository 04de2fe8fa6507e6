using Diffusion.Net.Prediction;
using static TorchSharp.torch;

namespace Diffusion.Net.Guidance;

/// <summary>
/// Classifier-free guidance (Ho &amp; Salimans 2022): ε = ε_u + γ (ε_c − ε_u). Both estimates come from ONE forward
/// pass over the batch [unconditional; conditional] (diffusers' order). The combination is the same for every output
/// kind (x̂_0, v and the flow velocity are affine in ε for a given sample), so a flow model is guided as
/// u = u_∅ + γ(u_c − u_∅). Only the prediction is guided; the variance channels, when the model has them, come from
/// the conditional half, as diffusers' IF pipelines do.
/// </summary>
public sealed class ClassifierFreeGuidance : IGuidance
{
    /// <summary>Creates the guidance.</summary>
    /// <param name="scale">γ; 0 gives the unconditional estimate, 1 the conditional one, &gt; 1 extrapolates.</param>
    /// <param name="unconditional">
    /// The condition of the unconditional branch (e.g. the empty prompt's embedding, batch 1 broadcasts). When null,
    /// each condition's own <see cref="Condition.Unconditional"/> is used (the null class for labels).
    /// </param>
    public ClassifierFreeGuidance(double scale, Condition? unconditional = null)
    {
        // |γ| beyond 10⁴ only multiplies float32 rounding noise into ±∞; published models use γ of 1–30.
        if (!double.IsFinite(scale) || Math.Abs(scale) > MaxScale)
            throw new ArgumentOutOfRangeException(nameof(scale), scale, $"The guidance scale must be finite and at most {MaxScale} in magnitude.");
        Scale = scale;
        UnconditionalCondition = unconditional;
    }

    /// <summary>The largest accepted |γ|.</summary>
    public const double MaxScale = 10_000;

    /// <summary>γ.</summary>
    public double Scale { get; }

    /// <summary>The explicit unconditional condition, or null to derive it from each condition.</summary>
    public Condition? UnconditionalCondition { get; }

    /// <inheritdoc />
    public ModelPrediction Guide(INoisePredictor model, Tensor sample, Tensor timesteps, Condition condition)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(timesteps);
        ArgumentNullException.ThrowIfNull(condition);
        int batch = (int)sample.shape[0];
        var conditional = condition.Repeat(batch);
        var unconditional = (UnconditionalCondition ?? conditional.Unconditional()).Repeat(batch);

        using var scope = NewDisposeScope();
        var both = Condition.Concat([unconditional, conditional]);
        var x = cat([sample, sample], 0);
        var t = cat([timesteps, timesteps], 0);
        using var prediction = model.Predict(x, t, both);
        var halves = prediction.Output.chunk(2, 0);
        var guided = halves[0] + (halves[1] - halves[0]) * Scale;
        Tensor? variance = prediction.Variance?.chunk(2, 0)[1].clone();
        return prediction.With(guided, variance).MoveToOuter(scope);
    }

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"CFG(γ={Scale})");
}
