using Diffusion.Net.Prediction;
using static TorchSharp.torch;

namespace Diffusion.Net.Training;

/// <summary>Classifier-free guidance's training half: each row's label becomes the null class (−1) with probability p.</summary>
internal static class ConditionDropout
{
    /// <summary>The batch's labels with dropout applied; one float64 draw per row from <paramref name="generator"/>.</summary>
    public static ClassCondition Apply(TrainingBatch batch, double probability, Generator generator)
    {
        if (batch.Labels is null) throw new InvalidOperationException("Class-conditional training needs labelled batches.");
        var labels = batch.Labels.cpu().data<long>().ToArray();
        using var drop = rand([labels.Length], ScalarType.Float64, CPU, generator: generator);
        var dropped = drop.data<double>().ToArray();
        for (int i = 0; i < labels.Length; i++) if (dropped[i] < probability) labels[i] = -1;
        return new ClassCondition(labels);
    }
}
