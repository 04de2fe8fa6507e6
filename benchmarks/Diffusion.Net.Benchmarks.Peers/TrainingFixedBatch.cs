using Diffusion.Net.Training;
using static TorchSharp.torch;

namespace Diffusion.Net.Benchmarks.Peers;

/// <summary>
/// A data set whose every mini-batch is the same fixed batch (x_t and its labels), so that the trainer's loop runs over
/// inputs that PyTorch reads from the same file. <see cref="ITrainingData.Count"/> is the batch times the steps wanted.
/// </summary>
internal sealed class TrainingFixedBatch(Tensor x, Tensor labels, int steps) : ITrainingData
{
    public int Count => (int)x.shape[0] * steps;

    // Aliases, not copies: the trainer disposes the batch it gets, and the fixed tensors must outlive it.
    public TrainingBatch GetBatch(Tensor indices) => new(x.alias(), labels.alias());
}
