using Diffusion.Net.IO;

namespace Diffusion.Net.Imaging;

/// <summary>An image file is corrupt, truncated, of an unknown format, or larger than the configured limits.</summary>
public sealed class InvalidImageException : InvalidInputException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public InvalidImageException(string path, string problem, Exception? inner = null)
        : base($"Image '{path}' was rejected: {problem}", path, null, problem, inner)
    {
    }
}
