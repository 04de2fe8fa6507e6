using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>
/// One-step denoising (CS180 Part A §1.3): jump straight to x̂_0 = (x_t − σ ε̂)/α, whatever the next level. Use it
/// with a one-step schedule such as <c>Timesteps.Custom(t)</c>. It reads every output kind on every process.
/// </summary>
public sealed class OneStepSampler : ISampler
{
    /// <summary>The shared instance.</summary>
    public static OneStepSampler Instance { get; } = new();

    private OneStepSampler() { }

    /// <inheritdoc />
    public SigmaSchedule CreateSchedule(IDiffusionProcess process, int steps)
    {
        ArgumentNullException.ThrowIfNull(process);
        if (steps != 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "One-step denoising takes exactly one step.");
        return SigmaSchedule.FromTimesteps(process, [process.MaxTimestep]);
    }

    /// <inheritdoc />
    public void Validate(SigmaSchedule schedule, PredictionKind kind)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        PredictionConversion.CheckFits(kind, schedule.Process);
    }

    /// <inheritdoc />
    public int ModelCalls(SigmaSchedule schedule) => schedule?.StepCount ?? throw new ArgumentNullException(nameof(schedule));

    /// <inheritdoc />
    public ISamplerRun Start(SigmaSchedule schedule, INoiseSource noise) => new Run(schedule, noise);

    /// <inheritdoc />
    public override string ToString() => "one-step x̂0";

    private sealed class Run(SigmaSchedule schedule, INoiseSource noise) : SamplerRun(schedule, noise)
    {
        protected override SamplerStep TakeStep(int index, Tensor sample, IDenoiser denoiser)
        {
            using var prediction = Call(denoiser, sample, Schedule[index]);
            var x0 = prediction.ToOriginal(sample, Schedule[index]);
            return new SamplerStep(x0, x0.alias());
        }
    }
}
