namespace Diffusion.Net.Sampling;

/// <summary>Options of <see cref="DdpmSampler"/>, with diffusers' names and defaults where they exist.</summary>
public sealed record DdpmSamplerOptions
{
    /// <summary>The step variance; CS180 Part B uses <see cref="DdpmVariance.FixedLarge"/> (the default).</summary>
    public DdpmVariance Variance { get; init; } = DdpmVariance.FixedLarge;

    /// <summary>Dynamic thresholding of x̂_0 (takes precedence over clipping, as in diffusers). Off by default.</summary>
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

    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Variance)) throw new ArgumentOutOfRangeException(nameof(Variance), Variance, "Unknown DDPM variance type.");
        if (!(ThresholdingRatio > 0 && ThresholdingRatio <= 1)) throw new ArgumentOutOfRangeException(nameof(ThresholdingRatio), ThresholdingRatio, "Must lie in (0, 1].");
        if (!(SampleMaxValue >= 1)) throw new ArgumentOutOfRangeException(nameof(SampleMaxValue), SampleMaxValue, "Must be at least 1.");
        if (!(ClipSampleRange > 0)) throw new ArgumentOutOfRangeException(nameof(ClipSampleRange), ClipSampleRange, "Must be positive.");
        if (DataRange is { } r && !(r.Min < r.Max)) throw new ArgumentOutOfRangeException(nameof(DataRange), DataRange, "Min must be below max.");
    }
}
