using Diffusion.Net.IO;

namespace Diffusion.Net.Mnist.Data;

/// <summary>
/// A fetched MNIST file is not the published one: its SHA-256 (or length) differs from the known value. The file was
/// not kept; the message names it, where it came from, and both hashes.
/// </summary>
public sealed class MnistChecksumException : InvalidInputException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="fileName">The file's name, e.g. <c>train-images-idx3-ubyte.gz</c>.</param>
    /// <param name="source">Where it came from (a URL, or the npm package).</param>
    /// <param name="expectedSha256">The published SHA-256 (lower-case hex).</param>
    /// <param name="actualSha256">The SHA-256 of what arrived (lower-case hex).</param>
    public MnistChecksumException(string fileName, string source, string expectedSha256, string actualSha256)
        : base($"MNIST file '{fileName}' from {source} has SHA-256 {actualSha256}, not the published {expectedSha256}; it was not kept.",
            source, fileName, $"SHA-256 {actualSha256}, expected {expectedSha256}", null)
    {
        FileName = fileName;
        Origin = source;
        ExpectedSha256 = expectedSha256;
        ActualSha256 = actualSha256;
    }

    /// <summary>The file's name.</summary>
    public string FileName { get; }

    /// <summary>Where the file came from.</summary>
    public string Origin { get; }

    /// <summary>The published SHA-256.</summary>
    public string ExpectedSha256 { get; }

    /// <summary>The SHA-256 of the bytes that arrived.</summary>
    public string ActualSha256 { get; }
}
