using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>
/// What every sampler's options share, with diffusers' names and defaults: how x̂_0 is limited at every step
/// (dynamic thresholding, clipping, a data range) and how a step count becomes timesteps (<c>timestep_spacing</c>,
/// <c>steps_offset</c>).
/// </summary>
public abstract record SamplerOptions
{
    /// <summary>Dynamic thresholding of x̂_0 (Saharia et al. 2022; takes precedence over clipping, as in diffusers). Off by default.</summary>
    public bool Thresholding { get; init; }

    /// <summary>The quantile of |x̂_0| used by thresholding (diffusers' <c>dynamic_thresholding_ratio</c>; IF: 0.95).</summary>
    public double ThresholdingRatio { get; init; } = 0.995;

    /// <summary>The upper clamp of the threshold s (diffusers' <c>sample_max_value</c>; IF stage I: 1.5, stage II: 1.0).</summary>
    public double SampleMaxValue { get; init; } = 1.0;

    /// <summary>Clip x̂_0 to ±<see cref="ClipSampleRange"/> (ignored when thresholding). Off by default.</summary>
    public bool ClipSample { get; init; }

    /// <summary>The clip range (diffusers' <c>clip_sample_range</c>).</summary>
    public double ClipSampleRange { get; init; } = 1.0;

    /// <summary>
    /// Clamp x̂_0 to the data range [min, max] at every step (e.g. [0, 1] for CS180's MNIST, whose data is not centred);
    /// applied after thresholding or clipping. Null = off.
    /// </summary>
    public (double Min, double Max)? DataRange { get; init; }

    /// <summary>How <see cref="ISampler.CreateSchedule"/> spreads a step count over the training timesteps.</summary>
    public TimestepSpacing Spacing { get; init; } = TimestepSpacing.Linspace;

    /// <summary>Added to leading-spaced timesteps (diffusers' <c>steps_offset</c>).</summary>
    public int StepsOffset { get; init; }

    /// <summary>Whether any limit applies to x̂_0.</summary>
    public bool LimitsOriginal => Thresholding || ClipSample || DataRange is not null;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first value out of range.</summary>
    public virtual void Validate()
    {
        if (!(ThresholdingRatio > 0 && ThresholdingRatio <= 1)) throw new ArgumentOutOfRangeException(nameof(ThresholdingRatio), ThresholdingRatio, "Must lie in (0, 1].");
        if (!(SampleMaxValue >= 1) || double.IsPositiveInfinity(SampleMaxValue)) throw new ArgumentOutOfRangeException(nameof(SampleMaxValue), SampleMaxValue, "Must be a finite number of at least 1.");
        if (!(ClipSampleRange > 0) || double.IsPositiveInfinity(ClipSampleRange)) throw new ArgumentOutOfRangeException(nameof(ClipSampleRange), ClipSampleRange, "Must be a positive finite number.");
        if (DataRange is { } r && !(r.Min < r.Max && double.IsFinite(r.Min) && double.IsFinite(r.Max))) throw new ArgumentOutOfRangeException(nameof(DataRange), DataRange, "Min must be below max, both finite.");
        if (!Enum.IsDefined(Spacing)) throw new ArgumentOutOfRangeException(nameof(Spacing), Spacing, "Unknown timestep spacing (linspace, leading, trailing).");
        ArgumentOutOfRangeException.ThrowIfNegative(StepsOffset);
    }

    /// <summary>x̂_0 after thresholding or clipping, then the data range (the tensor itself when no limit applies).</summary>
    internal Tensor Limit(Tensor predictedOriginal)
    {
        var x0 = predictedOriginal;
        if (Thresholding) x0 = SamplerMath.DynamicThreshold(x0, ThresholdingRatio, SampleMaxValue);
        else if (ClipSample) x0 = x0.clamp(-ClipSampleRange, ClipSampleRange);
        if (DataRange is { } range) x0 = x0.clamp(range.Min, range.Max);
        return x0;
    }

    /// <summary>A short description of the limits for names and logs ("" when none).</summary>
    internal string LimitsDescription()
        => (Thresholding ? FormattableString.Invariant($", thresholding {ThresholdingRatio}/{SampleMaxValue}") : ClipSample ? FormattableString.Invariant($", clip ±{ClipSampleRange}") : "")
           + (DataRange is { } r ? FormattableString.Invariant($", x̂0 ∈ [{r.Min}, {r.Max}]") : "");
}
