using Diffusion.Net.Imaging;
using static TorchSharp.torch;

namespace Diffusion.Net.Views;

/// <summary>
/// A frequency band of the noise estimate, for hybrid images (factorized diffusion): the model sees the sample
/// unchanged, and <see cref="Invert"/> keeps blur_{σ_low}(ε) − blur_{σ_high}(ε), where a missing σ_low means ε itself
/// (no blur) and a missing σ_high means 0. So low-pass = (σ, none), high-pass = (none, σ) and, for a decreasing
/// list of σ, adjacent bands telescope: their sum is the identity.
/// </summary>
internal sealed class FrequencyBandView : IView
{
    /// <summary>Creates the band; see the type's remarks.</summary>
    /// <param name="kernelSize">The odd Gaussian kernel size (CS180: 33).</param>
    /// <param name="lowerSigma">σ of the blur that is kept (null: ε itself, unblurred).</param>
    /// <param name="upperSigma">σ of the wider blur that is subtracted (null: nothing subtracted).</param>
    public FrequencyBandView(int kernelSize, double? lowerSigma, double? upperSigma)
    {
        if (kernelSize < 1 || kernelSize % 2 == 0) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "The kernel size must be odd and positive.");
        if (lowerSigma is not null && !(lowerSigma > 0)) throw new ArgumentOutOfRangeException(nameof(lowerSigma), lowerSigma, "σ must be positive.");
        if (upperSigma is not null && !(upperSigma > 0)) throw new ArgumentOutOfRangeException(nameof(upperSigma), upperSigma, "σ must be positive.");
        if (lowerSigma is null && upperSigma is null) throw new ArgumentException("A band needs at least one σ (use the identity view for all frequencies).");
        if (lowerSigma is not null && upperSigma is not null && !(upperSigma > lowerSigma))
            throw new ArgumentException($"The subtracted blur must be wider than the kept one: σ_high ({upperSigma}) must exceed σ_low ({lowerSigma}).");
        KernelSize = kernelSize;
        LowerSigma = lowerSigma;
        UpperSigma = upperSigma;
    }

    /// <summary>The kernel size.</summary>
    public int KernelSize { get; }

    /// <summary>σ of the kept blur (null = unblurred).</summary>
    public double? LowerSigma { get; }

    /// <summary>σ of the subtracted blur (null = nothing subtracted).</summary>
    public double? UpperSigma { get; }

    /// <inheritdoc />
    public string Name => (LowerSigma, UpperSigma) switch
    {
        (var s, null) => FormattableString.Invariant($"low-pass σ={s}"),
        (null, var s) => FormattableString.Invariant($"high-pass σ={s}"),
        var (a, b) => FormattableString.Invariant($"band σ={a}…{b}"),
    };

    /// <inheritdoc />
    public Tensor Apply(Tensor sample) => IdentityView.Check(sample).alias();

    /// <inheritdoc />
    public Tensor Invert(Tensor prediction)
    {
        IdentityView.Check(prediction);
        using var scope = NewDisposeScope();
        var kept = LowerSigma is null ? prediction : GaussianBlur.Apply(prediction, KernelSize, LowerSigma.Value);
        var band = UpperSigma is null ? kept : kept - GaussianBlur.Apply(prediction, KernelSize, UpperSigma.Value);
        return scope.MoveToOuter(band.alias());
    }

    /// <inheritdoc />
    public Tensor InvertVariance(Tensor variance) => IdentityView.Check(variance).alias();
}
