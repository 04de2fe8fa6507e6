namespace Diffusion.Net.Mnist.Data;

/// <summary>An IDX file is malformed: wrong magic number, counts or dimensions that disagree, a wrong length.</summary>
public sealed class MnistFormatException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public MnistFormatException(string path, string problem, Exception? inner = null)
        : base($"'{path}' is not a valid MNIST IDX file: {problem}", inner)
    {
        FilePath = path;
        Problem = problem;
    }

    /// <summary>The rejected file.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }
}
