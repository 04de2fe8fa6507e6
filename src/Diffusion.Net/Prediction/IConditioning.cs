using Diffusion.Net.Guidance;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Prediction;

/// <summary>
/// What a denoising loop steers toward: a plain <see cref="Condition"/>, or a composition of several conditions
/// seen through views (visual anagrams) or frequency bands (hybrid images). It turns one model call (through the
/// guidance) into the prediction the sampler reads.
/// </summary>
public interface IConditioning
{
    /// <summary>Predicts for <paramref name="sample"/> at one model call.</summary>
    /// <param name="model">The predictor.</param>
    /// <param name="guidance">How conditional and unconditional estimates are combined.</param>
    /// <param name="sample">x at the call's noise level, [B, C, H, W].</param>
    /// <param name="call">Where the loop is.</param>
    ModelPrediction Predict(INoisePredictor model, IGuidance guidance, Tensor sample, ModelCall call);
}

/// <summary>One model call of a denoising loop: the sampler step it belongs to and the noise level it is made at.</summary>
/// <param name="StepIndex">0-based index of the sampler step within its loop (a step may call the model more than once).</param>
/// <param name="StepCount">How many steps the loop takes.</param>
/// <param name="Level">The noise level of the sample passed to the model.</param>
public readonly record struct ModelCall(int StepIndex, int StepCount, NoiseLevel Level)
{
    /// <summary>The model's timestep.</summary>
    public double Timestep => Level.Timestep;

    /// <summary>The timestep as a float32 tensor of <paramref name="batch"/> copies (what predictors take).</summary>
    public Tensor TimestepTensor(long batch, Device? device = null) => full(batch, Level.Timestep, ScalarType.Float32, device);
}
