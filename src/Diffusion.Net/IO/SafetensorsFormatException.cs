namespace Diffusion.Net.IO;

/// <summary>
/// A safetensors file (or a sharded index) is malformed: truncated, a header that lies about sizes or offsets,
/// invalid JSON, an unknown dtype, overlapping tensors. The message names the file and the defect.
/// </summary>
public sealed class SafetensorsFormatException : InvalidInputException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public SafetensorsFormatException(string path, string problem, Exception? inner = null)
        : base($"'{path}' is not a valid safetensors file: {problem}", path, null, problem, inner)
    {
    }
}
