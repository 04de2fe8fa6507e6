using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace Diffusion.Net.Imaging;

/// <summary>
/// The pixel range an image tensor is in, carried beside the tensor object: pipelines mark their samples with the
/// model's <see cref="Prediction.INoisePredictor.PixelRange"/>, image loading marks what it returns, and
/// <see cref="ImageIO"/>, <see cref="ImageGrid"/> and <see cref="AnimatedGif"/> read the mark when no range is passed.
/// So an MNIST sample ([0, 1]) is saved black on white-digit without the caller naming the range, and an IF sample
/// ([−1, 1]) as before.
/// </summary>
/// <remarks>
/// The mark belongs to the tensor object, not to its values: a new tensor computed from a marked one (an index, a
/// clamp, a dtype conversion) carries none, and an unmarked tensor is read as [−1, 1], the historical default. Pass
/// the range explicitly, or mark the new tensor with <see cref="WithPixelRange"/>, when saving such a tensor.
/// </remarks>
public static class PixelRanges
{
    // Weak keys: the mark never keeps a tensor alive, and a disposed tensor's entry goes with its wrapper.
    private static readonly ConditionalWeakTable<Tensor, object> Marks = new();

    private static readonly object MinusOneToOneBox = PixelRange.MinusOneToOne;
    private static readonly object ZeroToOneBox = PixelRange.ZeroToOne;

    /// <summary>Marks <paramref name="tensor"/> as holding pixels in <paramref name="range"/> and returns it (the same object).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="range"/> is not a defined range.</exception>
    public static Tensor WithPixelRange(this Tensor tensor, PixelRange range)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!Enum.IsDefined(range)) throw new ArgumentOutOfRangeException(nameof(range), range, "Unknown pixel range (MinusOneToOne or ZeroToOne).");
        Marks.AddOrUpdate(tensor, range == PixelRange.ZeroToOne ? ZeroToOneBox : MinusOneToOneBox);
        return tensor;
    }

    /// <summary>The range <paramref name="tensor"/> was marked with, or null when it carries no mark.</summary>
    public static PixelRange? GetPixelRange(this Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return Marks.TryGetValue(tensor, out var range) ? (PixelRange)range : null;
    }

    /// <summary>The range to display <paramref name="tensor"/> in: the explicit one, else its mark, else [−1, 1].</summary>
    internal static PixelRange Resolve(Tensor tensor, PixelRange? explicitRange)
        => explicitRange ?? tensor.GetPixelRange() ?? PixelRange.MinusOneToOne;
}
