using Diffusion.Net.Sampling;
using static TorchSharp.torch;

namespace Diffusion.Net.Schedules;

/// <summary>CS180 Part B's noising for the single-step denoiser: z = x + σ ε (no scaling of x).</summary>
public static class GaussianNoising
{
    /// <summary>z = x + σ ε with the given noise.</summary>
    /// <exception cref="ArgumentOutOfRangeException">σ is negative or not finite.</exception>
    public static Tensor Add(Tensor image, Tensor noise, double sigma)
    {
        CheckSigma(sigma);
        Guard.SameShape(image, noise, "image", "noise");
        return image + noise * sigma;
    }

    /// <summary>z = x + σ ε with ε drawn from <paramref name="generator"/>.</summary>
    public static Tensor Add(Tensor image, double sigma, Generator generator)
    {
        CheckSigma(sigma);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(generator);
        using var noise = new GeneratorNoiseSource(generator).Next(image.shape, image.dtype, image.device);
        return image + noise * sigma;
    }

    private static void CheckSigma(double sigma)
    {
        if (!(sigma >= 0) || !double.IsFinite(sigma))
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "σ must be a finite, non-negative number.");
    }
}
