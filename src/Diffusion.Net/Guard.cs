using static TorchSharp.torch;

namespace Diffusion.Net;

/// <summary>Argument checks shared by the layers, run before any tensor operation.</summary>
internal static class Guard
{
    public static void SameShape(Tensor a, Tensor b, string aName, string bName)
    {
        ArgumentNullException.ThrowIfNull(a, aName);
        ArgumentNullException.ThrowIfNull(b, bName);
        if (!a.shape.SequenceEqual(b.shape))
            throw new ArgumentException($"The {aName} [{Shape(a.shape)}] and the {bName} [{Shape(b.shape)}] must have the same shape.");
    }

    public static string Shape(IEnumerable<long> shape) => string.Join(", ", shape);

    /// <summary>
    /// Rejects NaN and ±∞ in a floating-point input: they would flow through every step and come out as a NaN image
    /// with no error. One reduction, far cheaper than a model call.
    /// </summary>
    public static void AllFinite(Tensor t, string paramName, string what)
    {
        if (!t.is_floating_point() || t.numel() == 0) return;
        using var finite = isfinite(t).all();
        if (!finite.item<bool>()) throw new ArgumentException($"The {what} contains NaN or infinite values.", paramName);
    }

    /// <summary>Rejects a tensor with a zero-length dimension, which no model or resize can take.</summary>
    public static void NonEmpty(Tensor t, string paramName, string what)
    {
        if (t.shape.Any(d => d < 1)) throw new ArgumentException($"The {what} has an empty dimension: [{Shape(t.shape)}].", paramName);
    }
}
