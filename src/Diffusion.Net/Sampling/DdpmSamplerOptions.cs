namespace Diffusion.Net.Sampling;

/// <summary>Options of <see cref="DdpmSampler"/>, with diffusers' names and defaults where they exist.</summary>
public sealed record DdpmSamplerOptions : SamplerOptions
{
    /// <summary>The options, with diffusers' DDPM default spacing (leading).</summary>
    public DdpmSamplerOptions() => Spacing = TimestepSpacing.Leading;

    /// <summary>The step variance; CS180 Part B uses <see cref="DdpmVariance.FixedLarge"/> (the default).</summary>
    public DdpmVariance Variance { get; init; } = DdpmVariance.FixedLarge;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (!Enum.IsDefined(Variance)) throw new ArgumentOutOfRangeException(nameof(Variance), Variance, "Unknown DDPM variance type.");
    }
}
