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
}
