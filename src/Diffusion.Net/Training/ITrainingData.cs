using static TorchSharp.torch;

namespace Diffusion.Net.Training;

/// <summary>A dataset the trainer can draw shuffled mini-batches from.</summary>
public interface ITrainingData
{
    /// <summary>The number of items.</summary>
    int Count { get; }

    /// <summary>The items at <paramref name="indices"/> (int64 [B]) as CPU tensors: images float32 [B, C, H, W], labels int64 [B] or null.</summary>
    TrainingBatch GetBatch(Tensor indices);
}

/// <summary>A mini-batch: images and optional labels (owned).</summary>
public sealed class TrainingBatch : IDisposable
{
    /// <summary>Wraps the tensors.</summary>
    public TrainingBatch(Tensor images, Tensor? labels = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (labels is not null && (labels.dim() != 1 || labels.shape[0] != images.shape[0]))
            throw new ArgumentException($"Labels must be [B] = [{images.shape[0]}]; got [{string.Join(", ", labels.shape)}].", nameof(labels));
        Images = images;
        Labels = labels;
    }

    /// <summary>[B, C, H, W].</summary>
    public Tensor Images { get; }

    /// <summary>int64 [B], or null.</summary>
    public Tensor? Labels { get; }

    /// <summary>The batch size.</summary>
    public long Size => Images.shape[0];

    /// <inheritdoc />
    public void Dispose()
    {
        Images.Dispose();
        Labels?.Dispose();
    }
}
