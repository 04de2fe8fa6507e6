using Diffusion.Net.IO;

namespace Diffusion.Net.Training;

/// <summary>
/// A training checkpoint cannot be resumed from: not a Diffusion.Net checkpoint, written by other training options,
/// damaged (its checksum does not match), or with metadata, generator states or a loss history that disagree with
/// each other. Nothing of it has reached the network, the optimizer or the generators when this is thrown.
/// </summary>
public sealed class CheckpointFormatException : InvalidInputException
{
    /// <summary>Creates the exception for <paramref name="path"/> and the offending <paramref name="field"/>.</summary>
    public CheckpointFormatException(string path, string? field, string problem, Exception? inner = null)
        : base(field is null ? $"Checkpoint '{path}' cannot be resumed: {problem}" : $"Checkpoint '{path}', field '{field}': {problem}", path, field, problem, inner)
    {
    }
}
