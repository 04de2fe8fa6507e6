namespace Diffusion.Net.IO;

/// <summary>
/// The base of every error this library raises for bad input: a file or value a user handed in that is malformed,
/// inconsistent, unsupported, or larger than its budget (<see cref="InputLimits"/>). Loaders throw a subtype
/// (<see cref="SafetensorsFormatException"/>, <see cref="ModelConfigException"/>, <see cref="WeightsMismatchException"/>,
/// <c>InvalidImageException</c>, <c>CheckpointFormatException</c>, the MNIST and pickle format exceptions) before any
/// native call; catching this type catches them all. The message names the file (its path only, never its content),
/// the field when there is one, and the defect.
/// </summary>
/// <remarks>It derives from <see cref="IOException"/>, as the loaders' exceptions always have.</remarks>
public class InvalidInputException : IOException
{
    /// <summary>Creates the exception with the standard message: <c>'path', field 'f': problem</c>.</summary>
    /// <param name="path">The file (or a description such as <c>(memory)</c>); null when the input is not a file.</param>
    /// <param name="field">The offending key, entry or field; null for the whole input.</param>
    /// <param name="problem">What is wrong, without the file name and without quoting the file's bytes.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public InvalidInputException(string? path, string? field, string problem, Exception? inner = null)
        : this(StandardMessage(path, field, problem), path, field, problem, inner)
    {
    }

    /// <summary>Creates the exception with a message of the subtype's own wording.</summary>
    protected InvalidInputException(string message, string? path, string? field, string problem, Exception? inner)
        : base(message, inner)
    {
        FilePath = path;
        Field = field;
        Problem = problem;
    }

    /// <summary>The rejected file (or a description of the input); null when the input is not a file.</summary>
    public string? FilePath { get; }

    /// <summary>The offending key, entry or field, or null for the input as a whole.</summary>
    public string? Field { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Problem { get; }

    private static string StandardMessage(string? path, string? field, string problem)
        => (path, field) switch
        {
            (null, null) => $"Invalid input: {problem}",
            (null, _) => $"Invalid input, field '{field}': {problem}",
            (_, null) => $"'{path}' was rejected: {problem}",
            _ => $"'{path}', field '{field}': {problem}",
        };
}
