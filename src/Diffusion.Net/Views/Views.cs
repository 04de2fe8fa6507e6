namespace Diffusion.Net;

/// <summary>Factories for <see cref="ViewComposition"/>: visual anagrams and hybrid images.</summary>
public static class Views
{
    /// <summary>Visual anagram: the mean of the views' inverted estimates (CS180 §1.8).</summary>
    public static ViewComposition Average(params (Condition Condition, IView View)[] components) => new(components, ViewReduction.Mean);

    /// <summary>Factorized diffusion: the sum of the components (hybrid images, CS180 §1.9, with frequency bands).</summary>
    public static ViewComposition Sum(params (Condition Condition, IView View)[] components) => new(components, ViewReduction.Sum);

    /// <summary>Alternating views, one per step.</summary>
    public static ViewComposition Alternate(params (Condition Condition, IView View)[] components) => new(components, ViewReduction.Alternate);

    /// <summary>
    /// The CS180 hybrid: low-pass of the estimate under <paramref name="far"/> plus high-pass of the estimate under
    /// <paramref name="near"/> (Gaussian kernel 33, σ 2 by default).
    /// </summary>
    public static ViewComposition Hybrid(Condition far, Condition near, int kernelSize = 33, double sigma = 2.0)
        => Sum((far, Filter.LowPass(kernelSize, sigma)), (near, Filter.HighPass(kernelSize, sigma)));
}
