namespace Diffusion.Net.IO;

/// <summary>A model or scheduler configuration file is malformed or has a value this library does not support.</summary>
public sealed class ModelConfigException : InvalidInputException
{
    /// <summary>Creates the exception for <paramref name="path"/> and <paramref name="key"/>.</summary>
    public ModelConfigException(string path, string? key, string problem, Exception? inner = null)
        : base(key is null ? $"Configuration '{path}': {problem}" : $"Configuration '{path}', key '{key}': {problem}", path, key, problem, inner)
    {
    }

    /// <summary>The offending key, or null for the whole file (the same as <see cref="InvalidInputException.Field"/>).</summary>
    public string? Key => Field;
}
