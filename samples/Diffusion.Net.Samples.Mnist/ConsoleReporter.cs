using System.Globalization;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Training;

namespace Diffusion.Net.Samples.Mnist;

/// <summary>Plain progress lines that read well in a terminal and in CI logs alike (IProgress, synchronous).</summary>
internal sealed class ConsoleReporter : IProgress<TrainingProgress>, IProgress<DiffusionProgress>, IProgress<string>
{
    private DateTime _lastSampling = DateTime.MinValue;

    public void Report(TrainingProgress p)
        => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.StepsPerEpoch}  loss {p.Loss:0.00000}  lr {p.LearningRate:0.00e0}  {p.ImagesPerSecond:0} img/s  {p.Elapsed:mm\\:ss}{(p.EpochCompleted ? "  (checkpoint)" : "")}"));

    public void Report(DiffusionProgress p)
    {
        if (p.Step != p.TotalSteps && DateTime.UtcNow - _lastSampling < TimeSpan.FromSeconds(5)) return;
        _lastSampling = DateTime.UtcNow;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  sampling step {p.Step}/{p.TotalSteps} (t={p.Timestep:0.##})  {p.Elapsed:mm\\:ss}"));
    }

    public void Report(string message) => Console.WriteLine("  " + message);
}
