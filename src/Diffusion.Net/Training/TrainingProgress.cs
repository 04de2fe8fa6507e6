namespace Diffusion.Net.Training;

/// <summary>Training progress.</summary>
/// <param name="Epoch">The current epoch (1-based).</param>
/// <param name="Epochs">Epochs in total.</param>
/// <param name="Step">Steps done in this epoch.</param>
/// <param name="StepsPerEpoch">Steps per epoch.</param>
/// <param name="GlobalStep">Steps done in total.</param>
/// <param name="Loss">The mean loss since the previous report.</param>
/// <param name="LearningRate">The current learning rate.</param>
/// <param name="ImagesPerSecond">Throughput since the previous report.</param>
/// <param name="Elapsed">Wall time of this run (not counting resumed epochs).</param>
/// <param name="EpochCompleted">Whether this report closes an epoch (a checkpoint was just written).</param>
public readonly record struct TrainingProgress(int Epoch, int Epochs, int Step, int StepsPerEpoch, long GlobalStep, double Loss,
    double LearningRate, double ImagesPerSecond, TimeSpan Elapsed, bool EpochCompleted);

/// <summary>The outcome of <see cref="DiffusionTrainer.TrainAsync"/>.</summary>
/// <param name="History">Every step's loss (including resumed epochs).</param>
/// <param name="EpochsCompleted">Epochs completed in total.</param>
/// <param name="ResumedFromEpoch">The epoch training resumed after (0 = fresh start).</param>
/// <param name="Elapsed">Wall time of this run.</param>
/// <param name="ImagesPerSecond">Mean throughput of this run.</param>
public sealed record TrainingResult(LossHistory History, int EpochsCompleted, int ResumedFromEpoch, TimeSpan Elapsed, double ImagesPerSecond);
