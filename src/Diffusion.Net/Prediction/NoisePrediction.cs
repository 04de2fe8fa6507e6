using static TorchSharp.torch;

namespace Diffusion.Net.Prediction;

/// <summary>
/// A noise predictor's output: the noise estimate ε̂ and, for models with a learned variance (DeepFloyd IF's
/// learned-range output), the variance channels v.
/// </summary>
public sealed class NoisePrediction : IDisposable
{
    /// <summary>Wraps ε̂ and optional v of the same shape. The prediction owns both tensors.</summary>
    public NoisePrediction(Tensor epsilon, Tensor? variance = null)
    {
        ArgumentNullException.ThrowIfNull(epsilon);
        if (variance is not null && !variance.shape.SequenceEqual(epsilon.shape))
        {
            throw new ArgumentException(
                $"Variance shape [{string.Join(", ", variance.shape)}] differs from epsilon shape [{string.Join(", ", epsilon.shape)}].",
                nameof(variance));
        }
        Epsilon = epsilon;
        Variance = variance;
    }

    /// <summary>ε̂, shape [B, C, H, W].</summary>
    public Tensor Epsilon { get; }

    /// <summary>The variance channels (learned-range interpolation values, roughly in [−1, 1]), or null.</summary>
    public Tensor? Variance { get; }

    /// <summary>
    /// Splits a model output of 2C channels into ε̂ (the first <paramref name="epsilonChannels"/>) and v (the rest),
    /// as DeepFloyd's 6-channel output splits 3 + 3; with exactly C channels there is no variance.
    /// </summary>
    public static NoisePrediction FromModelOutput(Tensor output, int epsilonChannels)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (output.dim() != 4) throw new ArgumentException($"Expected a [B, C, H, W] model output, got [{string.Join(", ", output.shape)}].", nameof(output));
        long channels = output.shape[1];
        if (channels == epsilonChannels) return new NoisePrediction(output.alias());
        if (channels != 2L * epsilonChannels)
            throw new ArgumentException($"A model output of {channels} channels cannot be split into {epsilonChannels} noise channels (+ as many variance channels).", nameof(output));
        var parts = output.split(epsilonChannels, 1);
        return new NoisePrediction(parts[0], parts[1]);
    }

    /// <summary>Concatenates ε̂ and v back along channels (diffusers' <c>model_output</c> layout).</summary>
    public Tensor ToModelOutput() => Variance is null ? Epsilon.alias() : cat([Epsilon, Variance], 1);

    /// <summary>
    /// Moves both tensors out of <paramref name="scope"/> into the enclosing dispose scope (so a prediction built
    /// inside a scope survives it) and returns this prediction.
    /// </summary>
    public NoisePrediction MoveToOuter(TorchSharp.DisposeScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        scope.MoveToOuter(Epsilon);
        if (Variance is not null) scope.MoveToOuter(Variance);
        return this;
    }

    /// <summary>Disposes both tensors.</summary>
    public void Dispose()
    {
        Epsilon.Dispose();
        Variance?.Dispose();
    }
}
