namespace Diffusion.Net.Sampling;

/// <summary>
/// Options of <see cref="HeunSampler"/>, with the names and defaults of diffusers' <c>HeunDiscreteScheduler</c> (on a
/// variance-preserving process) and <c>FlowMatchHeunDiscreteScheduler</c> (on rectified flow). diffusers'
/// <c>clip_sample</c> and <c>clip_sample_range</c> are <see cref="SamplerOptions.ClipSample"/> and
/// <see cref="SamplerOptions.ClipSampleRange"/>, applied to x̂_0 of both model calls.
/// </summary>
public sealed record HeunSamplerOptions : SamplerOptions
{
    /// <summary>
    /// Marks the sampler as diffusers' <c>FlowMatchHeunDiscreteScheduler</c>: it then accepts only rectified-flow
    /// schedules. Without it the process decides.
    /// </summary>
    public bool FlowMatching { get; init; }

    /// <summary>The time shift of the flow-matching grid (see <see cref="EulerSamplerOptions.Shift"/>); rectified flow only.</summary>
    public double Shift { get; init; } = 1.0;

    /// <summary>Space σ/α as Karras et al. (ρ = 7) between the spaced grid's ends (diffusers' <c>use_karras_sigmas</c>); VP only.</summary>
    public bool KarrasSigmas { get; init; }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (!(Shift > 0) || !double.IsFinite(Shift)) throw new ArgumentOutOfRangeException(nameof(Shift), Shift, "The time shift must be a positive finite number (1 = no shift).");
        if (FlowMatching)
        {
            if (KarrasSigmas) throw new ArgumentOutOfRangeException(nameof(KarrasSigmas), KarrasSigmas, "Flow-matching Heun walks rectified flow's shifted σ grid; Karras σ is defined on a discrete schedule's σ/α range.");
            if (Spacing != TimestepSpacing.Linspace || StepsOffset != 0)
                throw new ArgumentOutOfRangeException(nameof(Spacing), Spacing, "Flow-matching Heun spaces σ evenly (then shifts it); timestep spacing and steps_offset apply to discrete schedules.");
        }
    }
}
