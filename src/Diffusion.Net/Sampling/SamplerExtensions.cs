using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>Conveniences over <see cref="ISampler"/>.</summary>
public static class SamplerExtensions
{
    /// <summary>
    /// One step of a fresh run from <paramref name="timestep"/> to <paramref name="nextTimestep"/> with a prediction
    /// already made (diffusers' <c>scheduler.step(model_output, t, sample)</c> for a hand-written loop). A multistep
    /// sampler has no history here, so it takes its first-order step; a sampler that needs a second model call
    /// (Heun) gets the same prediction again.
    /// </summary>
    /// <param name="sampler">The sampler.</param>
    /// <param name="process">The process the model was trained on.</param>
    /// <param name="sample">x at <paramref name="timestep"/>, in the process's own scaling.</param>
    /// <param name="prediction">The (guided) prediction at <paramref name="timestep"/> (not disposed).</param>
    /// <param name="timestep">t.</param>
    /// <param name="nextTimestep">t′ below t; the process's clean timestep (−1 for a discrete schedule) is clean data.</param>
    /// <param name="noise">The source of any random draw.</param>
    /// <returns>x at t′ and the step's x̂_0; the caller owns both.</returns>
    /// <exception cref="ArgumentException">The shapes differ, or the sampler does not fit the process or the prediction's kind.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A timestep is outside the process, or t′ is not below t.</exception>
    public static SamplerStep Step(this ISampler sampler, IDiffusionProcess process, Tensor sample, ModelPrediction prediction,
        double timestep, double nextTimestep, INoiseSource noise)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentNullException.ThrowIfNull(process);
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(noise);
        Guard.SameShape(sample, prediction.Output, "sample", "prediction");
        var from = process.At(timestep);
        var to = process.At(nextTimestep);
        if (!(to.NoiseToSignal < from.NoiseToSignal))
            throw new ArgumentOutOfRangeException(nameof(nextTimestep), nextTimestep,
                FormattableString.Invariant($"The next timestep must be less noisy than t = {timestep}: it must lie in [{process.CleanTimestep}, {timestep})."));
        var schedule = new SigmaSchedule(process, [from, to]);
        sampler.Validate(schedule, prediction.Kind);
        using var run = sampler.Start(schedule, noise);
        using var state = run.Begin(sample, pureNoise: false);
        using var step = run.Step(state, new FixedDenoiser(prediction));
        double scale = run.StateScale(1);
        var next = scale == 1 ? step.Next.alias() : step.Next / scale;
        return new SamplerStep(next, step.PredictedOriginal.alias());
    }

    /// <summary>Answers every call with the same prediction (fresh handles, so the run may dispose them).</summary>
    private sealed class FixedDenoiser(ModelPrediction prediction) : IDenoiser
    {
        public PredictionKind Kind => prediction.Kind;

        public ModelPrediction Predict(Tensor sample, NoiseLevel level) => prediction.With(prediction.Output.alias(), prediction.Variance?.alias());
    }
}
