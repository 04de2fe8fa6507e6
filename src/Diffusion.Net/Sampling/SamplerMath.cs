using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>Formulas shared by the samplers.</summary>
internal static class SamplerMath
{
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
}
