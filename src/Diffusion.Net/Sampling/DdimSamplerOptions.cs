namespace Diffusion.Net.Sampling;

/// <summary>Options of <see cref="DdimSampler"/>, with diffusers' names and defaults.</summary>
public sealed record DdimSamplerOptions : SamplerOptions
{
    /// <summary>The options, with diffusers' DDIM default spacing (leading).</summary>
    public DdimSamplerOptions() => Spacing = TimestepSpacing.Leading;

    /// <summary>η ∈ [0, 1] (0 = deterministic DDIM, 1 = DDPM's posterior variance; values above 1 are allowed, as in diffusers).</summary>
    public double Eta { get; init; }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (!(Eta >= 0) || !double.IsFinite(Eta)) throw new ArgumentOutOfRangeException(nameof(Eta), Eta, "η must be a finite non-negative number.");
    }
}
