using static TorchSharp.torch;

namespace Diffusion.Net.Views;

/// <summary>
/// A view of the sample for visual anagrams and hybrid images (Geng et al. 2024, "Visual Anagrams"; "Factorized
/// Diffusion"). The model sees <see cref="Apply"/>(x_t); its prediction (ε̂, x̂_0, v or a flow velocity, all linear in
/// the sample's parts) is brought back to the canonical frame with <see cref="Invert"/>. Geometric views are orthogonal pixel permutations (or negation), so Invert ∘ Apply is
/// the identity. Frequency "views" see the sample unchanged and keep one band of the estimate, so that the bands of
/// a decomposition sum to the identity.
/// </summary>
public interface IView
{
    /// <summary>A short name for labels and logs.</summary>
    string Name { get; }

    /// <summary>The sample as the model sees it ([B, C, H, W]).</summary>
    Tensor Apply(Tensor sample);

    /// <summary>The model's prediction mapped back (or the band kept).</summary>
    Tensor Invert(Tensor prediction);

    /// <summary>
    /// The model's variance channels mapped back: the same pixel transform for geometric views (without
    /// negation, since variances are not signed), unchanged for frequency bands.
    /// </summary>
    Tensor InvertVariance(Tensor variance);
}
