using Diffusion.Net.IO;

namespace Diffusion.Net.DeepFloyd.Prompts;

/// <summary>
/// A <c>torch.save</c> file is refused: not a readable zip of a tensor dict, a pickle that calls anything outside
/// the whitelist, tensor views out of their storage, a damaged entry (CRC), or tensors over the
/// <see cref="InputLimits"/> budgets. Nothing of the pickle has been executed.
/// </summary>
public sealed class TorchFileFormatException : InvalidInputException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public TorchFileFormatException(string path, string problem, Exception? inner = null)
        : base($"'{path}' is not a readable tensor dict: {problem}", path, null, problem, inner)
    {
    }
}
