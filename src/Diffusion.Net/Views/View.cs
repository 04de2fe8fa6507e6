using Diffusion.Net.Prediction;

namespace Diffusion.Net.Views;

/// <summary>Factories for geometric <see cref="IView"/>s and for the <see cref="ViewComposition"/>s built from them (visual anagrams, hybrid images).</summary>
public static class View
{
    /// <summary>The identity.</summary>
    public static IView Identity { get; } = new IdentityView();

    /// <summary>Upside down (CS180 §1.8).</summary>
    public static IView FlipVertical { get; } = new FlipVerticalView();

    /// <summary>Mirrored left-right.</summary>
    public static IView FlipHorizontal { get; } = new FlipHorizontalView();

    /// <summary>Rotated 90° counter-clockwise.</summary>
    public static IView Rotate90 { get; } = new RotationView(90);

    /// <summary>Rotated 180°.</summary>
    public static IView Rotate180 { get; } = new RotationView(180);

    /// <summary>Rotated 270° counter-clockwise.</summary>
    public static IView Rotate270 { get; } = new RotationView(270);

    /// <summary>Negated (colour inversion in [−1, 1]).</summary>
    public static IView Negate { get; } = new NegateView();

    /// <summary>A jigsaw permutation of square patches.</summary>
    public static IView PatchPermutation(int patchSize, IReadOnlyList<int> permutation) => new PatchPermutationView(patchSize, permutation);

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
