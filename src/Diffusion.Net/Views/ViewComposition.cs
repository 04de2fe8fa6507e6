using Diffusion.Net.Guidance;
using Diffusion.Net.Prediction;
using static TorchSharp.torch;

namespace Diffusion.Net.Views;

/// <summary>
/// Several (condition, view) pairs denoised together: each view of x_t is predicted under its own condition, the
/// estimates are mapped back with the views' inverses and reduced (<see cref="ViewReduction"/>). All views, and
/// both branches of classifier-free guidance, go through the model in ONE batched forward pass.
/// </summary>
/// <remarks>
/// Guidance is applied per view: the unconditional branch of view k runs on Apply_k(x_t), as in Geng et al. and
/// the faithful reading of CS180 §1.8 (spec §4.10), so ε_k = Invert_k(ε_u(V_k x) + γ(ε_c(V_k x, c_k) − ε_u(V_k x))).
/// For frequency bands this equals filtering first and guiding once, because the bands sum to the identity.
/// The variance channels are the mean of the views' inverted variances (the spec leaves this open; the mean
/// treats every view alike). The views are linear maps of the sample, so the same inversion and reduction hold for
/// every output kind: ε̂, x̂_0, v and the flow velocity of a view's sample all map back alike.
/// </remarks>
public sealed class ViewComposition : IConditioning
{
    private readonly (Condition Condition, IView View)[] _components;

    /// <summary>Creates the composition.</summary>
    public ViewComposition(IReadOnlyList<(Condition Condition, IView View)> components, ViewReduction reduction)
    {
        ArgumentNullException.ThrowIfNull(components);
        if (components.Count == 0) throw new ArgumentException("At least one (condition, view) pair is needed.", nameof(components));
        foreach (var (c, v) in components)
        {
            if (c is null) throw new ArgumentException("A condition is null.", nameof(components));
            if (v is null) throw new ArgumentException("A view is null.", nameof(components));
        }
        if (!Enum.IsDefined(reduction)) throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "Unknown reduction.");
        _components = components.ToArray();
        Reduction = reduction;
    }

    /// <summary>The (condition, view) pairs.</summary>
    public IReadOnlyList<(Condition Condition, IView View)> Components => _components;

    /// <summary>The reduction.</summary>
    public ViewReduction Reduction { get; }

    /// <inheritdoc />
    public ModelPrediction Predict(INoisePredictor model, IGuidance guidance, Tensor sample, ModelCall call)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(guidance);
        IdentityView.Check(sample);
        int batch = (int)sample.shape[0];
        using var scope = NewDisposeScope();
        if (Reduction == ViewReduction.Alternate)
        {
            var (condition, view) = _components[call.StepIndex % _components.Length];
            using var single = condition.Predict(model, guidance, view.Apply(sample), call);
            var output = view.Invert(single.Output);
            var variance = single.Variance is null ? null : view.InvertVariance(single.Variance);
            return single.With(output, variance).MoveToOuter(scope);
        }

        int k = _components.Length;
        var views = cat(_components.Select(c => c.View.Apply(sample)).ToArray(), 0);
        var conditions = Condition.Concat(_components.Select(c => c.Condition.Repeat(batch)).ToArray());
        var t = call.TimestepTensor(views.shape[0], sample.device);
        using var prediction = guidance.Guide(model, views, t, conditions);
        var chunks = prediction.Output.chunk(k, 0);
        var combined = _components[0].View.Invert(chunks[0]);
        for (int i = 1; i < k; i++) combined = combined + _components[i].View.Invert(chunks[i]);
        if (Reduction == ViewReduction.Mean) combined = combined / k;
        Tensor? combinedVariance = null;
        if (prediction.Variance is not null)
        {
            var varChunks = prediction.Variance.chunk(k, 0);
            combinedVariance = _components[0].View.InvertVariance(varChunks[0]);
            for (int i = 1; i < k; i++) combinedVariance = combinedVariance + _components[i].View.InvertVariance(varChunks[i]);
            combinedVariance = combinedVariance / k;
        }
        return prediction.With(combined.contiguous(), combinedVariance?.contiguous()).MoveToOuter(scope);
    }

    /// <inheritdoc />
    public override string ToString()
        => $"{Reduction}(" + string.Join(", ", _components.Select(c => $"{c.Condition} @ {c.View.Name}")) + ")";
}
