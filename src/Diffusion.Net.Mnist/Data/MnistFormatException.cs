using Diffusion.Net.IO;

namespace Diffusion.Net.Mnist.Data;

/// <summary>An IDX file is malformed: wrong magic number, counts or dimensions that disagree, a wrong length.</summary>
public sealed class MnistFormatException : InvalidInputException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public MnistFormatException(string path, string problem, Exception? inner = null)
        : base($"'{path}' is not a valid MNIST IDX file: {problem}", path, null, problem, inner)
    {
    }
}
