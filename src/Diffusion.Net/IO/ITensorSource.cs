using TorchSharp;

namespace Diffusion.Net.IO;

/// <summary>
/// Named tensors that can be read one at a time (a safetensors file, or a sharded set of them), so that weights
/// load straight into their destination without a second full copy in memory.
/// </summary>
public interface ITensorSource : IDisposable
{
    /// <summary>A description of where the tensors come from (a path), for messages.</summary>
    string Description { get; }

    /// <summary>Every tensor's header entry, by name.</summary>
    IReadOnlyDictionary<string, SafetensorInfo> Tensors { get; }

    /// <summary>Reads one tensor into a new CPU tensor, converted to <paramref name="dtype"/> when given.</summary>
    torch.Tensor Read(string name, torch.ScalarType? dtype = null);

    /// <summary>
    /// Reads one tensor into <paramref name="destination"/> (any dtype, any device), converting as needed.
    /// The shapes must be equal; otherwise a <see cref="WeightsMismatchException"/> is thrown before any data moves.
    /// </summary>
    void ReadInto(string name, torch.Tensor destination);
}
