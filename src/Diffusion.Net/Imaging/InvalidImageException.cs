namespace Diffusion.Net.Imaging;

/// <summary>An image file is corrupt, truncated, of an unknown format, or larger than the configured limits.</summary>
public sealed class InvalidImageException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public InvalidImageException(string path, string problem, Exception? inner = null)
        : base($"Image '{path}' was rejected: {problem}", inner)
    {
        FilePath = path;
        Problem = problem;
    }

    /// <summary>The rejected file.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }
}
