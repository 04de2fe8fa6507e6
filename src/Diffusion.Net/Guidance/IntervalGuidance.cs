using Diffusion.Net.Prediction;
using static TorchSharp.torch;

namespace Diffusion.Net.Guidance;

/// <summary>
/// Applies another guidance only while the timestep lies in [<see cref="MinTimestep"/>, <see cref="MaxTimestep"/>] and the
/// model's plain conditional prediction elsewhere (Kynkäänniemi et al. 2024, "Applying Guidance in a Limited Interval
/// Improves Sample and Distribution Quality in Diffusion Models"). Strong guidance at high noise levels is what
/// collapses the samples' diversity onto a few prototypes; limiting it to the lower noise levels keeps its effect on
/// class fidelity and detail. Outside the interval a step costs one forward pass instead of two.
/// </summary>
/// <remarks>
/// Timesteps are the model's own (e.g. 0…299 for the CS180 MNIST UNets, 0…999 for DeepFloyd IF, σ·1000 for a rectified-flow model), so an interval is
/// specific to a schedule. A batch whose rows sit at different timesteps is guided row by row.
/// </remarks>
public sealed class IntervalGuidance : IGuidance
{
    /// <summary>Creates the limited-interval guidance.</summary>
    /// <param name="inner">The guidance applied inside the interval (usually classifier-free guidance).</param>
    /// <param name="minTimestep">The smallest guided timestep (inclusive, ≥ 0).</param>
    /// <param name="maxTimestep">The largest guided timestep (inclusive, ≥ <paramref name="minTimestep"/>).</param>
    public IntervalGuidance(IGuidance inner, double minTimestep, double maxTimestep)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!(minTimestep >= 0) || !double.IsFinite(maxTimestep)) throw new ArgumentOutOfRangeException(nameof(minTimestep), minTimestep, "The guidance interval needs finite timesteps, the smallest ≥ 0.");
        if (maxTimestep < minTimestep)
            throw new ArgumentOutOfRangeException(nameof(maxTimestep), maxTimestep, $"The guidance interval [{minTimestep}, {maxTimestep}] is empty.");
        Inner = inner;
        MinTimestep = minTimestep;
        MaxTimestep = maxTimestep;
    }

    /// <summary>The guidance applied inside the interval.</summary>
    public IGuidance Inner { get; }

    /// <summary>The smallest guided timestep (inclusive).</summary>
    public double MinTimestep { get; }

    /// <summary>The largest guided timestep (inclusive).</summary>
    public double MaxTimestep { get; }

    /// <inheritdoc />
    public ModelPrediction Guide(INoisePredictor model, Tensor sample, Tensor timesteps, Condition condition)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(timesteps);
        ArgumentNullException.ThrowIfNull(condition);
        using var scope = NewDisposeScope();
        var inside = timesteps.ge(MinTimestep).logical_and(timesteps.le(MaxTimestep));
        long guidedRows = inside.sum().item<long>();
        if (guidedRows == timesteps.shape[0]) return Inner.Guide(model, sample, timesteps, condition).MoveToOuter(scope);
        if (guidedRows == 0) return model.Predict(sample, timesteps, condition).MoveToOuter(scope);

        using var guided = Inner.Guide(model, sample, timesteps, condition);
        using var plain = model.Predict(sample, timesteps, condition);
        var rows = inside.reshape([-1, .. Enumerable.Repeat(1L, (int)sample.dim() - 1)]);
        var output = guided.Output.where(rows, plain.Output);
        var variance = guided.Variance is { } gv && plain.Variance is { } pv ? gv.where(rows, pv) : null;
        return guided.With(output, variance).MoveToOuter(scope);
    }

    /// <inheritdoc />
    public override string ToString() => FormattableString.Invariant($"{Inner} for t in [{MinTimestep}, {MaxTimestep}]");
}
