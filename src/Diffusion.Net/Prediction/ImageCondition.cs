using static TorchSharp.torch;

namespace Diffusion.Net.Prediction;

/// <summary>
/// An image the model is conditioned on, with an optional per-row noise level: e.g. the noised, upscaled
/// low-resolution image and its noise level for DeepFloyd IF stage II. It is the same in both branches of
/// classifier-free guidance.
/// </summary>
public sealed class ImageCondition : Condition
{
    /// <summary>Wraps the tensors (not owned).</summary>
    /// <param name="image">[B, C, H, W].</param>
    /// <param name="noiseLevel">int64 [B], or null.</param>
    public ImageCondition(Tensor image, Tensor? noiseLevel = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.dim() != 4) throw new ArgumentException($"An image condition must be [B, C, H, W]; got [{string.Join(", ", image.shape)}].", nameof(image));
        if (noiseLevel is not null && (noiseLevel.dim() != 1 || noiseLevel.shape[0] != image.shape[0]))
            throw new ArgumentException($"The noise level must be [B] = [{image.shape[0]}]; got [{string.Join(", ", noiseLevel.shape)}].", nameof(noiseLevel));
        Guard.NonEmpty(image, nameof(image), "image condition");
        Guard.AllFinite(image, nameof(image), "image condition");
        Image = image;
        NoiseLevel = noiseLevel;
    }

    /// <summary>[B, C, H, W].</summary>
    public Tensor Image { get; }

    /// <summary>int64 [B], or null.</summary>
    public Tensor? NoiseLevel { get; }

    /// <inheritdoc />
    public override int? BatchSize => (int)Image.shape[0];

    /// <inheritdoc />
    public override Condition Repeat(int batch)
    {
        CheckRepeat(BatchSize, batch, "image");
        return BatchSize == batch ? this : new ImageCondition(Image.expand(batch, -1, -1, -1), NoiseLevel?.expand(batch));
    }

    /// <inheritdoc />
    public override Condition Unconditional() => this;

    internal static ImageCondition ConcatImages(IReadOnlyList<ImageCondition> parts)
    {
        if (parts.Any(p => p.NoiseLevel is null) && parts.Any(p => p.NoiseLevel is not null))
            throw new ArgumentException("Image conditions with and without a noise level cannot be batched together.");
        var image = cat(parts.Select(p => p.Image).ToArray(), 0);
        var level = parts[0].NoiseLevel is null ? null : cat(parts.Select(p => p.NoiseLevel!).ToArray(), 0);
        return new ImageCondition(image, level);
    }

    /// <inheritdoc />
    public override string ToString() => $"image[{string.Join(", ", Image.shape)}]";
}
