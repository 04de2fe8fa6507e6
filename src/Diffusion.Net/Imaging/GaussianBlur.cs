using TorchSharp;
using static TorchSharp.torch;

namespace Diffusion.Net.Imaging;

/// <summary>
/// Gaussian blur with torchvision's semantics (<c>transforms.functional.gaussian_blur</c>): a float32 kernel
/// exp(−½(x/σ)²) on x = linspace(−(k−1)/2, (k−1)/2, k), normalised, its outer product applied per channel after
/// reflect padding of k/2. It is CS180's classical denoising baseline (§1.2) and the low-pass filter of hybrid
/// images (§1.9: kernel 33, σ = 2).
/// </summary>
public static class GaussianBlur
{
    /// <summary>Blurs a [B, C, H, W] or [C, H, W] floating-point tensor.</summary>
    /// <param name="image">The image (any range).</param>
    /// <param name="kernelSize">An odd, positive kernel size.</param>
    /// <param name="sigma">σ &gt; 0, in pixels.</param>
    /// <exception cref="ArgumentException">Bad kernel, σ, shape, or an image too small for reflect padding.</exception>
    public static Tensor Apply(Tensor image, int kernelSize, double sigma)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (kernelSize < 1 || kernelSize % 2 == 0) throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "The kernel size must be an odd positive number.");
        if (!(sigma > 0) || !double.IsFinite(sigma)) throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "σ must be a positive number.");
        if (image.dim() is not (3 or 4)) throw new ArgumentException($"Expected [B, C, H, W] or [C, H, W]; got [{string.Join(", ", image.shape)}].", nameof(image));
        if (!image.is_floating_point()) throw new ArgumentException($"Expected a floating-point image; got {image.dtype}.", nameof(image));
        int pad = kernelSize / 2;
        long h = image.shape[^2], w = image.shape[^1];
        if (pad >= h || pad >= w)
            throw new ArgumentException($"A {kernelSize}-pixel kernel needs reflect padding of {pad}, which must be smaller than the image size {h}×{w}.", nameof(image));

        using var scope = NewDisposeScope();
        bool batched = image.dim() == 4;
        var x = batched ? image : image.unsqueeze(0);
        long channels = x.shape[1];
        var kernel = Kernel2d(kernelSize, sigma).to(x.dtype, x.device).expand(channels, 1, kernelSize, kernelSize);
        var padded = nn.functional.pad(x, [pad, pad, pad, pad], PaddingModes.Reflect);
        var blurred = nn.functional.conv2d(padded, kernel, groups: channels);
        return scope.MoveToOuter(batched ? blurred : blurred.squeeze(0));
    }

    /// <summary>The normalised 1-D kernel, float32 (as torchvision computes it).</summary>
    public static Tensor Kernel1d(int kernelSize, double sigma)
    {
        using var scope = NewDisposeScope();
        double half = (kernelSize - 1) * 0.5;
        var x = linspace(-half, half, kernelSize, ScalarType.Float32);
        var pdf = (x / (float)sigma).pow(2).mul(-0.5f).exp();
        return scope.MoveToOuter(pdf / pdf.sum());
    }

    private static Tensor Kernel2d(int kernelSize, double sigma)
    {
        using var k = Kernel1d(kernelSize, sigma);
        return outer(k, k);
    }
}
