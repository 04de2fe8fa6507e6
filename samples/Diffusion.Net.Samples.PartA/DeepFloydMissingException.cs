namespace Diffusion.Net.Samples.PartA;

/// <summary>The DeepFloyd weights or embeddings were not given or not found; the message says what is needed.</summary>
internal sealed class DeepFloydMissingException(string message) : Exception(message);
