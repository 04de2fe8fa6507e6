using static TorchSharp.torch;

namespace Diffusion.Net.Training;

/// <summary>The numeric precision of training.</summary>
public enum TrainingPrecision
{
    /// <summary>float32 everywhere.</summary>
    Float32,

    /// <summary>The network computes in bfloat16 (2–3× faster on CPUs with AVX-512 BF16); Adam keeps float32 master weights.</summary>
    BFloat16,
}

/// <summary>Options of <see cref="DiffusionTrainer"/>, validated when the trainer is created.</summary>
public sealed record TrainerOptions
{
    /// <summary>Epochs to train (in total, including any resumed ones).</summary>
    public int Epochs { get; init; } = 20;

    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Adam's initial learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>
    /// The learning rate is multiplied by this after every epoch (PyTorch's ExponentialLR stepped per epoch); 1 = constant.
    /// CS180's DDPM recipe uses 0.1^(1/epochs).
    /// </summary>
    public double LearningRateDecayPerEpoch { get; init; } = 1.0;

    /// <summary>The seed of the data-order and noise generators.</summary>
    public long Seed { get; init; }

    /// <summary>float32 or bfloat16.</summary>
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Float32;

    /// <summary>The training device (default CPU).</summary>
    public Device? Device { get; init; }

    /// <summary>A folder for the per-epoch checkpoint, the loss CSV and plot; null = no checkpoints.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Continue from the checkpoint in <see cref="CheckpointDirectory"/> when one exists.</summary>
    public bool Resume { get; init; } = true;

    /// <summary>Report progress every this many steps (and at the end of every epoch).</summary>
    public int ProgressEvery { get; init; } = 20;

    /// <summary>Drop the last incomplete batch of each epoch (PyTorch's DataLoader keeps it by default).</summary>
    public bool DropLast { get; init; }

    /// <summary>Train on at most this many items per epoch (a prefix of the shuffled order; null = all).</summary>
    public int? ItemsPerEpoch { get; init; }

    /// <summary>
    /// Keep an exponential moving average of the weights with this decay (e.g. 0.999) and hand it out as the trained
    /// network (see <see cref="ExponentialMovingAverage"/>); null = no average, the last step's weights.
    /// </summary>
    public double? EmaDecay { get; init; }

    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ProgressEvery, 1);
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "Must be positive.");
        if (!(LearningRateDecayPerEpoch > 0 && LearningRateDecayPerEpoch <= 1)) throw new ArgumentOutOfRangeException(nameof(LearningRateDecayPerEpoch), LearningRateDecayPerEpoch, "Must lie in (0, 1].");
        if (!Enum.IsDefined(Precision)) throw new ArgumentOutOfRangeException(nameof(Precision), Precision, "Unknown precision.");
        if (EmaDecay is { } d && !(d > 0 && d < 1)) throw new ArgumentOutOfRangeException(nameof(EmaDecay), EmaDecay, "The EMA decay must lie in (0, 1).");
        if (ItemsPerEpoch is < 1) throw new ArgumentOutOfRangeException(nameof(ItemsPerEpoch), ItemsPerEpoch, "Must be positive.");
    }
}
