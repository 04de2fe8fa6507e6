using static TorchSharp.torch;

namespace Diffusion.Net.Training;

/// <summary>What a training step minimises for one batch (ε-prediction, direct denoising, classification).</summary>
public interface ITrainingObjective
{
    /// <summary>A short description for logs.</summary>
    string Name { get; }

    /// <summary>The scalar loss of <paramref name="batch"/> (already on the training device and dtype), with a graph for backward.</summary>
    /// <param name="batch">The batch.</param>
    /// <param name="generator">The source of every random draw of the step (noise, timesteps, condition dropout).</param>
    Tensor Loss(TrainingBatch batch, Generator generator);
}
