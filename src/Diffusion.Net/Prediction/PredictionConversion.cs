using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Prediction;

/// <summary>
/// The one place where model output kinds are converted into each other. For a sample x = α·x_0 + σ·ε (α and σ of
/// the <see cref="NoiseLevel"/>, in whatever scaling the sample is held):
/// <code>
/// ε      → x̂_0 = (x − σ ε̂)/α                 x̂_0 → ε̂ = (x − α x̂_0)/σ
/// v      → x̂_0 = α x/c² − σ v/c,  ε̂ = σ x/c² + α v/c      (c² = α² + σ², 1 on a variance-preserving process)
/// flow v → x̂_0 = (x − σ v)/(α + σ), ε̂ = x̂_0 + v              (α + σ = 1 on a rectified-flow path)
/// </code>
/// The expressions follow diffusers' operation order, so a conversion inside a sampler rounds as diffusers' does.
/// </summary>
public static class PredictionConversion
{
    /// <summary>
    /// Throws unless a model with outputs of <paramref name="kind"/> can be read on <paramref name="process"/>: the flow
    /// velocity needs a rectified-flow process and the VP velocity a variance-preserving one.
    /// </summary>
    /// <exception cref="ArgumentException">The kind does not fit the process.</exception>
    public static void CheckFits(PredictionKind kind, IDiffusionProcess process)
    {
        ArgumentNullException.ThrowIfNull(process);
        if (kind == PredictionKind.FlowVelocity && process.Kind != ProcessKind.RectifiedFlow)
            throw new ArgumentException($"A model that predicts the flow velocity needs a rectified-flow process; it was given {process} ({process.Kind}). Load it with its flow process (RectifiedFlow).", nameof(kind));
        if (kind == PredictionKind.Velocity && process.Kind != ProcessKind.VariancePreserving)
            throw new ArgumentException($"A v-prediction model needs a variance-preserving process; it was given {process} ({process.Kind}).", nameof(kind));
    }

    /// <summary>
    /// Throws unless an output of <paramref name="kind"/> can be turned into x̂_0 at <paramref name="level"/>: an ε prediction
    /// says nothing about x_0 where α = 0 (rectified flow's pure noise, σ = 1).
    /// </summary>
    /// <exception cref="ArgumentException">The level is singular for the kind.</exception>
    public static void CheckReadable(PredictionKind kind, NoiseLevel level)
    {
        if (kind == PredictionKind.Epsilon && level.Alpha == 0)
            throw new ArgumentException($"An ε-prediction model cannot be read at {level}: α = 0 there, so x̂_0 = (x − σ ε̂)/α is undefined. Start the schedule below pure noise, or use a model that predicts the flow velocity or x̂_0.", nameof(level));
    }

    /// <summary>The prediction as <paramref name="to"/> for the sample it was made from (a new tensor).</summary>
    /// <exception cref="InvalidOperationException">The conversion divides by a zero scale (x̂_0 → ε̂ on clean data).</exception>
    public static Tensor Convert(ModelPrediction prediction, PredictionKind to, Tensor sample, NoiseLevel level)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(sample);
        Guard.SameShape(sample, prediction.Output, "sample", "model output");
        if (prediction.Kind == to) return prediction.Output.alias();
        var y = prediction.Output;
        double a = level.Alpha, s = level.Sigma;
        using var scope = NewDisposeScope();
        Tensor result = (prediction.Kind, to) switch
        {
            (PredictionKind.Epsilon, PredictionKind.Sample) => (sample - y * s) / NonZero(a, "α", level),
            (PredictionKind.Sample, PredictionKind.Epsilon) => (sample - y * a) / NonZero(s, "σ", level),
            (PredictionKind.Velocity, PredictionKind.Sample) => VelocityToOriginal(sample, y, a, s),
            (PredictionKind.Velocity, PredictionKind.Epsilon) => VelocityToEpsilon(sample, y, a, s),
            (PredictionKind.FlowVelocity, PredictionKind.Sample) => FlowToOriginal(sample, y, a, s, level),
            (PredictionKind.FlowVelocity, PredictionKind.Epsilon) => FlowToOriginal(sample, y, a, s, level) + y,
            (_, PredictionKind.Velocity) => ToVelocity(prediction, sample, level),
            (_, PredictionKind.FlowVelocity) => ToFlowVelocity(prediction, sample, level),
            _ => throw new ArgumentOutOfRangeException(nameof(to), to, "Unknown prediction kind."),
        };
        return scope.MoveToOuter(result);
    }

    private static Tensor VelocityToOriginal(Tensor x, Tensor v, double a, double s)
    {
        double c2 = a * a + s * s;
        if (Math.Abs(c2 - 1) < 1e-6) return x * a - v * s;
        return x * (a / c2) - v * (s / Math.Sqrt(c2));
    }

    private static Tensor VelocityToEpsilon(Tensor x, Tensor v, double a, double s)
    {
        double c2 = a * a + s * s;
        if (Math.Abs(c2 - 1) < 1e-6) return v * a + x * s;
        return v * (a / Math.Sqrt(c2)) + x * (s / c2);
    }

    private static Tensor FlowToOriginal(Tensor x, Tensor v, double a, double s, NoiseLevel level)
    {
        double sum = a + s;
        var x0 = x - v * s;
        return Math.Abs(sum - 1) < 1e-12 ? x0 : x0 / NonZero(sum, "α + σ", level);
    }

    private static Tensor ToVelocity(ModelPrediction p, Tensor x, NoiseLevel level)
    {
        using var eps = Convert(p, PredictionKind.Epsilon, x, level);
        using var x0 = Convert(p, PredictionKind.Sample, x, level);
        double c = Math.Sqrt(level.Alpha * level.Alpha + level.Sigma * level.Sigma);
        return (eps * level.Alpha - x0 * level.Sigma) / c;
    }

    private static Tensor ToFlowVelocity(ModelPrediction p, Tensor x, NoiseLevel level)
    {
        using var eps = Convert(p, PredictionKind.Epsilon, x, level);
        using var x0 = Convert(p, PredictionKind.Sample, x, level);
        return eps - x0;
    }

    private static double NonZero(double value, string name, NoiseLevel level)
        => value != 0 ? value : throw new InvalidOperationException($"This conversion divides by {name} = 0 at {level}; the prediction kind cannot be converted there.");
}
