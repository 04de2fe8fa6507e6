namespace Diffusion.Net.IO;

/// <summary>A model or scheduler configuration file is malformed or has a value this library does not support.</summary>
public sealed class ModelConfigException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/> and <paramref name="key"/>.</summary>
    public ModelConfigException(string path, string? key, string problem, Exception? inner = null)
        : base(key is null ? $"Configuration '{path}': {problem}" : $"Configuration '{path}', key '{key}': {problem}", inner)
    {
        FilePath = path;
        Key = key;
        Problem = problem;
    }

    /// <summary>The configuration file.</summary>
    public string FilePath { get; }

    /// <summary>The offending key, or null for the whole file.</summary>
    public string? Key { get; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }
}
