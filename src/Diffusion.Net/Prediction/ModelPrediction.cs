using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Prediction;

/// <summary>
/// A model's output for one batch: the prediction of its <see cref="Kind"/> (ε̂, x̂_0, v or the flow velocity) and, for
/// models with a learned variance (DeepFloyd IF's learned-range output), the variance channels. It owns its tensors.
/// </summary>
public sealed class ModelPrediction : IDisposable
{
    /// <summary>Wraps an output and optional variance channels of the same shape (both owned).</summary>
    public ModelPrediction(Tensor output, PredictionKind kind = PredictionKind.Epsilon, Tensor? variance = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown prediction kind.");
        if (variance is not null && !variance.shape.SequenceEqual(output.shape))
            throw new ArgumentException($"Variance shape [{Guard.Shape(variance.shape)}] differs from the output shape [{Guard.Shape(output.shape)}].", nameof(variance));
        Output = output;
        Kind = kind;
        Variance = variance;
    }

    /// <summary>The prediction, [B, C, H, W].</summary>
    public Tensor Output { get; }

    /// <summary>What <see cref="Output"/> means.</summary>
    public PredictionKind Kind { get; }

    /// <summary>The variance channels (learned-range interpolation values, roughly in [−1, 1]), or null.</summary>
    public Tensor? Variance { get; }

    /// <summary>
    /// Splits a model output of 2C channels into the prediction (the first <paramref name="channels"/>) and the variance
    /// channels (the rest), as DeepFloyd's 6-channel output splits 3 + 3; with exactly C channels there is no variance.
    /// </summary>
    public static ModelPrediction FromModelOutput(Tensor output, int channels, PredictionKind kind = PredictionKind.Epsilon)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (output.dim() != 4) throw new ArgumentException($"Expected a [B, C, H, W] model output, got [{Guard.Shape(output.shape)}].", nameof(output));
        long c = output.shape[1];
        if (c == channels) return new ModelPrediction(output.alias(), kind);
        if (c != 2L * channels)
            throw new ArgumentException($"A model output of {c} channels cannot be split into {channels} prediction channels (+ as many variance channels).", nameof(output));
        var parts = output.split(channels, 1);
        return new ModelPrediction(parts[0], kind, parts[1]);
    }

    /// <summary>The same kind with other tensors (owned by the new prediction): what guidance and views combine into.</summary>
    public ModelPrediction With(Tensor output, Tensor? variance) => new(output, Kind, variance);

    /// <summary>Concatenates the prediction and the variance back along channels (diffusers' <c>model_output</c> layout).</summary>
    public Tensor ToModelOutput() => Variance is null ? Output.alias() : cat([Output, Variance], 1);

    /// <summary>x̂_0 for the sample x this was predicted from at <paramref name="level"/> (a new tensor).</summary>
    public Tensor ToOriginal(Tensor sample, NoiseLevel level) => PredictionConversion.Convert(this, PredictionKind.Sample, sample, level);

    /// <summary>ε̂ for the sample x this was predicted from at <paramref name="level"/> (a new tensor).</summary>
    public Tensor ToEpsilon(Tensor sample, NoiseLevel level) => PredictionConversion.Convert(this, PredictionKind.Epsilon, sample, level);

    /// <summary>
    /// Moves the tensors out of <paramref name="scope"/> into the enclosing dispose scope (so a prediction built inside
    /// a scope survives it) and returns this prediction.
    /// </summary>
    public ModelPrediction MoveToOuter(TorchSharp.DisposeScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        scope.MoveToOuter(Output);
        if (Variance is not null) scope.MoveToOuter(Variance);
        return this;
    }

    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        Output.Dispose();
        Variance?.Dispose();
    }
}
