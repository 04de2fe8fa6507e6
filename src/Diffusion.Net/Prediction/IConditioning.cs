using Diffusion.Net.Guidance;
using static TorchSharp.torch;

namespace Diffusion.Net.Prediction;

/// <summary>
/// What a denoising step steers toward: a plain <see cref="Condition"/>, or a composition of several conditions
/// seen through views (visual anagrams) or frequency bands (hybrid images). It turns one model call (through the
/// guidance) into the noise estimate the sampler uses.
/// </summary>
public interface IConditioning
{
    /// <summary>Estimates the noise for <paramref name="sample"/> at one step.</summary>
    /// <param name="model">The noise predictor.</param>
    /// <param name="guidance">How conditional and unconditional estimates are combined.</param>
    /// <param name="sample">x_t, [B, C, H, W].</param>
    /// <param name="context">The step being taken.</param>
    NoisePrediction Predict(INoisePredictor model, IGuidance guidance, Tensor sample, DenoiseStepContext context);
}

/// <summary>Where a denoising loop is: the step index, the timestep and the one it steps to.</summary>
/// <param name="StepIndex">0-based index of the step within its loop.</param>
/// <param name="StepCount">How many steps the loop takes.</param>
/// <param name="Timestep">The current timestep t.</param>
/// <param name="PreviousTimestep">The timestep stepped to (−1 = clean data).</param>
public readonly record struct DenoiseStepContext(int StepIndex, int StepCount, int Timestep, int PreviousTimestep)
{
    /// <summary>The timestep as an int64 tensor of <paramref name="batch"/> copies (what predictors take).</summary>
    public Tensor TimestepTensor(long batch, Device? device = null) => full(batch, (long)Timestep, ScalarType.Int64, device);
}
