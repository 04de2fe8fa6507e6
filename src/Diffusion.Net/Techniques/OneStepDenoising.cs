using Diffusion.Net.Guidance;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Techniques;

/// <summary>
/// CS180 Part A §1.3: noise an image to t and estimate the clean image from ONE noise prediction,
/// x̂_0 = (x_t − √(1 − ᾱ_t) ε̂)/√ᾱ_t (not x_t − ε̂; on any process (x − σ ε̂)/α). Also the baseline the iterative loop is compared with.
/// </summary>
public static class OneStepDenoising
{
    /// <summary>The chain: image → forward to t → one x̂_0 step.</summary>
    public static DiffusionPipeline Build(INoisePredictor model, IDiffusionProcess process, Tensor image, int timestep, IConditioning conditioning, IGuidance? guidance = null)
    {
        var pipeline = DiffusionPipeline.From(image)
            .Noise(process, timestep)
            .Denoise(model, process, Timesteps.Custom(timestep), conditioning)
            .WithSampler(Samplers.OneStep);
        return guidance is null ? pipeline : pipeline.WithGuidance(guidance);
    }

    /// <summary>x̂_0 from an already noised x_t.</summary>
    public static Tensor Estimate(INoisePredictor model, IDiffusionProcess process, Tensor noisy, int timestep, IConditioning conditioning, IGuidance? guidance = null)
    {
        var pipeline = DiffusionPipeline.From(noisy)
            .Denoise(model, process, Timesteps.Custom(timestep), conditioning)
            .WithSampler(Samplers.OneStep);
        if (guidance is not null) pipeline = pipeline.WithGuidance(guidance);
        return pipeline.Run();
    }
}
