using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>Formulas shared by the samplers, with argument checks that run before any tensor operation.</summary>
public static class SamplerMath
{
    /// <summary>x̂_0 = (x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t: the clean image implied by a noise estimate.</summary>
    public static Tensor PredictOriginal(INoiseSchedule schedule, Tensor sample, Tensor epsilon, int timestep)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        CheckSameShape(sample, epsilon, "sample", "epsilon");
        var c = StepCoefficients.Compute(schedule, CheckTimestep(schedule, timestep, nameof(timestep)), -1);
        return (sample - epsilon * c.SqrtBetaBar) / c.SqrtAlphaBar;
    }

    /// <summary>
    /// diffusers' dynamic thresholding (Saharia et al. 2022): per batch row, s = quantile(|x̂_0|, ratio) clamped to
    /// [1, maxValue], then x̂_0 ← clamp(x̂_0, −s, s)/s. Computed in float32 (or float64) and cast back.
    /// </summary>
    public static Tensor DynamicThreshold(Tensor predictedOriginal, double ratio = 0.995, double maxValue = 1.0)
    {
        ArgumentNullException.ThrowIfNull(predictedOriginal);
        if (!(ratio > 0 && ratio <= 1)) throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "The thresholding ratio must lie in (0, 1].");
        if (!(maxValue >= 1)) throw new ArgumentOutOfRangeException(nameof(maxValue), maxValue, "The maximum sample value must be at least 1.");
        using var scope = NewDisposeScope();
        var dtype = predictedOriginal.dtype;
        var x = dtype is ScalarType.Float32 or ScalarType.Float64 ? predictedOriginal : predictedOriginal.to(ScalarType.Float32);
        var shape = x.shape;
        var flat = x.reshape(shape[0], -1);
        var q = tensor(ratio, flat.dtype, flat.device);
        var s = flat.abs().quantile(q, 1).clamp(1.0, maxValue).unsqueeze(1);
        var result = (flat.clamp(-s, s) / s).reshape(shape).to(dtype);
        return scope.MoveToOuter(result);
    }

    internal static int CheckTimestep(INoiseSchedule schedule, int timestep, string name)
    {
        if (timestep < 0 || timestep >= schedule.Length)
            throw new ArgumentOutOfRangeException(name, timestep, $"Timestep must lie in [0, {schedule.Length - 1}].");
        return timestep;
    }

    internal static void CheckStep(INoiseSchedule schedule, Tensor sample, NoisePrediction prediction, int timestep, int previousTimestep, INoiseSource noise)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(noise);
        CheckSameShape(sample, prediction.Epsilon, "sample", "epsilon");
        CheckTimestep(schedule, timestep, nameof(timestep));
        if (previousTimestep < -1 || previousTimestep >= timestep)
            throw new ArgumentOutOfRangeException(nameof(previousTimestep), previousTimestep, $"The previous timestep must lie in [-1, {timestep - 1}] when stepping from t = {timestep}.");
    }

    internal static void CheckSameShape(Tensor a, Tensor b, string aName, string bName)
    {
        ArgumentNullException.ThrowIfNull(a, aName);
        ArgumentNullException.ThrowIfNull(b, bName);
        if (!a.shape.SequenceEqual(b.shape))
            throw new ArgumentException($"The {aName} [{string.Join(", ", a.shape)}] and the {bName} [{string.Join(", ", b.shape)}] must have the same shape.");
    }
}
