namespace Diffusion.Net.Views;

/// <summary>Factories for frequency-band views (hybrid images).</summary>
public static class Filter
{
    /// <summary>Gaussian low-pass: blur(ε) (CS180 §1.9: kernel 33, σ 2).</summary>
    public static IView LowPass(int kernelSize = 33, double sigma = 2.0) => new FrequencyBandView(kernelSize, sigma, null);

    /// <summary>Gaussian high-pass: ε − blur(ε).</summary>
    public static IView HighPass(int kernelSize = 33, double sigma = 2.0) => new FrequencyBandView(kernelSize, null, sigma);

    /// <summary>
    /// A full decomposition into <c>sigmas.Length + 1</c> bands that sum to the identity, from low to high frequency:
    /// blur_{σ_1}; blur_{σ_2} − blur_{σ_1}; …; ε − blur_{σ_n}, for σ_1 &gt; σ_2 &gt; … &gt; σ_n.
    /// </summary>
    public static IReadOnlyList<IView> Bands(int kernelSize, params double[] sigmas)
    {
        ArgumentNullException.ThrowIfNull(sigmas);
        if (sigmas.Length == 0) throw new ArgumentException("At least one σ is needed.", nameof(sigmas));
        for (int i = 1; i < sigmas.Length; i++)
            if (!(sigmas[i] < sigmas[i - 1])) throw new ArgumentException("The σ values must be strictly decreasing (from the lowest band to the highest).", nameof(sigmas));
        var bands = new List<IView> { new FrequencyBandView(kernelSize, sigmas[0], null) };
        for (int i = 1; i < sigmas.Length; i++) bands.Add(new FrequencyBandView(kernelSize, sigmas[i], sigmas[i - 1]));
        bands.Add(new FrequencyBandView(kernelSize, null, sigmas[^1]));
        return bands;
    }
}
