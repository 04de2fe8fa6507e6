namespace Diffusion.Net.Views;

/// <summary>How the per-view noise estimates are combined.</summary>
public enum ViewReduction
{
    /// <summary>ε = (1/K) Σ_k Invert_k(ε_k): visual anagrams (CS180 §1.8).</summary>
    Mean,

    /// <summary>ε = Σ_k Invert_k(ε_k): factorized diffusion / hybrid images, where the views are bands that sum to the identity (§1.9).</summary>
    Sum,

    /// <summary>Step i uses only view i mod K (one forward pass per step): a cheaper anagram variant.</summary>
    Alternate,
}
