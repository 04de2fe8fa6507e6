using static TorchSharp.torch;

namespace Diffusion.Net.Imaging;

/// <summary>Inpainting masks: [1, 1, H, W] float32, 1 where new content is generated, 0 where the original is kept.</summary>
public static class Masks
{
    /// <summary>A rectangle of ones (rows top … top+h−1, columns left … left+w−1) in an otherwise zero mask.</summary>
    /// <remarks>CS180's Campanile mask is <c>Rectangle(64, 64, top: 2, left: 24, height: 18, width: 18)</c> ([2:20, 24:42]).</remarks>
    public static Tensor Rectangle(int imageHeight, int imageWidth, int top, int left, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (top < 0 || left < 0 || top + height > imageHeight || left + width > imageWidth)
            throw new ArgumentOutOfRangeException(nameof(top), $"The rectangle rows {top}…{top + height - 1}, columns {left}…{left + width - 1} leave the {imageHeight}×{imageWidth} image.");
        var mask = zeros(1, 1, imageHeight, imageWidth, ScalarType.Float32);
        using (no_grad())
        using (var region = mask[.., .., top..(top + height), left..(left + width)])
            region.fill_(1f);
        return mask;
    }

    /// <summary>A mask from an image file: white (luminance ≥ <paramref name="threshold"/>) = generate, as in diffusers.</summary>
    public static Tensor FromImage(string path, int size, ImageFit fit = ImageFit.Stretch, double threshold = 0.5, ImageLoadOptions? options = null)
    {
        if (!(threshold > 0 && threshold <= 1)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must lie in (0, 1].");
        using var gray = ImageIO.LoadTensor(path, size, fit, PixelRange.ZeroToOne, channels: 1, options);
        return gray.ge(threshold).to(ScalarType.Float32);
    }

    /// <summary>1 − mask.</summary>
    public static Tensor Invert(Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        return 1 - mask;
    }
}
