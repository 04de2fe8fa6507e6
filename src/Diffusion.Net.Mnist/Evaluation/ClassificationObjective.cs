using Diffusion.Net.Training;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Evaluation;

/// <summary>Cross-entropy of a classifier's logits against the batch labels.</summary>
internal sealed class ClassificationObjective(Func<Tensor, Tensor> logits) : ITrainingObjective
{
    /// <inheritdoc />
    public string Name => "cross-entropy";

    /// <inheritdoc />
    public Tensor Loss(TrainingBatch batch, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Labels is null) throw new InvalidOperationException("Classification needs labelled batches.");
        using var output = logits(batch.Images);
        return nn.functional.cross_entropy(output.to(ScalarType.Float32), batch.Labels);
    }
}
