using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.Prompts;
using Diffusion.Net.Guidance;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using Diffusion.Net.Techniques;
using Diffusion.Net.Views;
using static TorchSharp.torch;
using SdeditTechnique = Diffusion.Net.Techniques.Sdedit;

namespace Diffusion.Net.DeepFloyd.PartA;

/// <summary>
/// CS180 Part A (§1.1–1.9) on DeepFloyd IF stage I, with the course's conventions: strided timesteps 990, 960, …, 0
/// (the loop stops at 0), the learned-range variance of <c>add_variance</c> with no thresholding, CFG γ = 7 with the
/// empty prompt as the unconditional branch, and "a high quality photo" as the generic prompt. Images are [N, 3, 64, 64]
/// in [−1, 1]. The same chains run on any <see cref="INoisePredictor"/>; this class only fixes IF's settings.
/// </summary>
public sealed class DeepFloydPartA
{
    /// <summary>CS180's generic prompt.</summary>
    public const string GenericPrompt = "a high quality photo";

    /// <summary>Creates the context; <paramref name="prompts"/> must hold <c>""</c> and <see cref="GenericPrompt"/>.</summary>
    public DeepFloydPartA(DeepFloydModel stage1, PromptEmbeddings prompts, double guidanceScale = 7.0)
    {
        Stage1 = stage1 ?? throw new ArgumentNullException(nameof(stage1));
        Prompts = prompts ?? throw new ArgumentNullException(nameof(prompts));
        if (stage1.IsSuperResolution) throw new ArgumentException("Part A runs on stage I; this is a stage II model.", nameof(stage1));
        foreach (var required in new[] { "", GenericPrompt })
            if (!prompts.Contains(required)) throw new ArgumentException($"The prompt embeddings need \"{required}\" (CS180 uses it); available: {string.Join(", ", prompts.Prompts.Select(p => $"\"{p}\""))}.", nameof(prompts));
        GuidanceScale = guidanceScale;
    }

    /// <summary>Stage I.</summary>
    public DeepFloydModel Stage1 { get; }

    /// <summary>The prompt embeddings.</summary>
    public PromptEmbeddings Prompts { get; }

    /// <summary>γ.</summary>
    public double GuidanceScale { get; }

    /// <summary>990, 960, …, 0 (34 entries).</summary>
    public TimestepSequence Strided { get; } = Timesteps.Strided();

    /// <summary>CS180's <c>add_variance</c>: learned range, current t, no thresholding or clipping.</summary>
    public ISampler Sampler { get; } = new DdpmSampler(new DdpmSamplerOptions { Variance = DdpmVariance.LearnedRange });

    /// <summary>CFG with the empty prompt (§1.6 on).</summary>
    public IGuidance Guidance => Guide.ClassifierFree(GuidanceScale, Prompts[""]);

    /// <summary>The schedule.</summary>
    public INoiseSchedule Schedule => Stage1.Schedule;

    /// <summary>§1.1: x_t with fresh noise.</summary>
    public Tensor Forward(Tensor image, int timestep, long seed)
        => DiffusionPipeline.From(image).Noise(Schedule, timestep).Run(seed);

    /// <summary>§1.3: one-step estimate of x_0 from x_t with the generic prompt (no CFG, as in the course).</summary>
    public Tensor OneStep(Tensor noisy, int timestep)
        => OneStepDenoising.Estimate(Stage1, Schedule, noisy, timestep, Prompts[GenericPrompt]);

    /// <summary>§1.4 / §1.5 / §1.6: iterative denoising of <paramref name="noisy"/> from entry <paramref name="startIndex"/>.</summary>
    public DiffusionPipeline Iterative(Tensor noisy, int startIndex, string prompt = GenericPrompt, bool guided = true)
    {
        var pipeline = DiffusionPipeline.From(noisy).Denoise(Stage1, Strided.From(startIndex), Prompts[prompt]).WithSampler(Sampler);
        return guided ? pipeline.WithGuidance(Guidance) : pipeline;
    }

    /// <summary>§1.5 / §1.6: samples from pure noise.</summary>
    public DiffusionPipeline Sample(int count, string prompt = GenericPrompt, bool guided = true)
    {
        var pipeline = DiffusionPipeline.FromNoise(count, 3, Stage1.SampleSize, Stage1.SampleSize).Denoise(Stage1, Strided, Prompts[prompt]).WithSampler(Sampler);
        return guided ? pipeline.WithGuidance(Guidance) : pipeline;
    }

    /// <summary>§1.7 / §1.7.3: SDEdit toward <paramref name="prompt"/> from <paramref name="startIndex"/>.</summary>
    public DiffusionPipeline Sdedit(Tensor image, int startIndex, string prompt = GenericPrompt)
        => SdeditTechnique.Build(Stage1, Schedule, image, Strided, startIndex, Prompts[prompt], Guidance, Sampler);

    /// <summary>§1.7.2: inpainting where <paramref name="mask"/> is 1.</summary>
    public DiffusionPipeline Inpaint(Tensor image, Tensor mask, string prompt = GenericPrompt)
        => Sample((int)image.shape[0], prompt).Inpaint(image, mask);

    /// <summary>§1.8: a visual anagram, <paramref name="upright"/> as is and <paramref name="flipped"/> through <paramref name="view"/> (default: upside down).</summary>
    public DiffusionPipeline Anagram(string upright, string flipped, IView? view = null, int count = 1)
        => DiffusionPipeline.FromNoise(count, 3, Stage1.SampleSize, Stage1.SampleSize)
            .Denoise(Stage1, Strided, View.Average((Prompts[upright], View.Identity), (Prompts[flipped], view ?? View.FlipVertical)))
            .WithGuidance(Guidance)
            .WithSampler(Sampler);

    /// <summary>§1.9: a hybrid image, <paramref name="far"/> in the low frequencies and <paramref name="near"/> in the high ones (Gaussian 33, σ 2).</summary>
    public DiffusionPipeline Hybrid(string far, string near, int count = 1, int kernelSize = 33, double sigma = 2.0)
        => DiffusionPipeline.FromNoise(count, 3, Stage1.SampleSize, Stage1.SampleSize)
            .Denoise(Stage1, Strided, View.Hybrid(Prompts[far], Prompts[near], kernelSize, sigma))
            .WithGuidance(Guidance)
            .WithSampler(Sampler);
}
