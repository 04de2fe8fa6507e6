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
/// <remarks>
/// Prompts are strings. Each is looked up in the prompt-embedding store when one is given (CS180's precomputed
/// <c>prompt_embeds_dict.pth</c>), and otherwise encoded by stage I's T5 when it is loaded
/// (<see cref="DeepFloydOptions.LoadTextEncoder"/>); T5 embeddings are kept for the life of this object, which owns
/// them: dispose it when done.
/// </remarks>
public sealed class DeepFloydPartA : IDisposable
{
    /// <summary>CS180's generic prompt.</summary>
    public const string GenericPrompt = "a high quality photo";

    private readonly PromptEmbeddings? _store;
    private readonly PromptEmbeddings _encoded = new();
    private readonly object _encodeLock = new();

    /// <summary>Creates the context; <paramref name="prompts"/> must hold <c>""</c> and <see cref="GenericPrompt"/> unless stage I has its T5 loaded.</summary>
    public DeepFloydPartA(IDeepFloydModel stage1, PromptEmbeddings prompts, double guidanceScale = 7.0)
        : this(stage1, prompts ?? throw new ArgumentNullException(nameof(prompts)), guidanceScale, nameof(prompts))
    {
    }

    /// <summary>Creates the context with stage I's T5 encoding every prompt (it must be loaded).</summary>
    /// <exception cref="NotSupportedException">Stage I was loaded without its text encoder.</exception>
    public DeepFloydPartA(IDeepFloydModel stage1, double guidanceScale = 7.0)
        : this(stage1, null, guidanceScale, nameof(stage1))
    {
    }

    private DeepFloydPartA(IDeepFloydModel stage1, PromptEmbeddings? store, double guidanceScale, string promptsName)
    {
        Stage1 = stage1 ?? throw new ArgumentNullException(nameof(stage1));
        if (stage1.IsSuperResolution) throw new ArgumentException("Part A runs on stage I; this is a stage II model.", nameof(stage1));
        if (!double.IsFinite(guidanceScale)) throw new ArgumentOutOfRangeException(nameof(guidanceScale), guidanceScale, "Must be finite.");
        _store = store;
        if (store is null && stage1.TextEncoder is null) throw IFPromptEncoder.NoEncoder(GenericPrompt);
        if (stage1.TextEncoder is null)
        {
            foreach (var required in new[] { "", GenericPrompt })
                if (!store!.Contains(required))
                    throw new ArgumentException($"The prompt embeddings need \"{required}\" (CS180 uses it); available: {string.Join(", ", store.Prompts.Select(p => $"\"{p}\""))}. Or load stage I with DeepFloydOptions.LoadTextEncoder.", promptsName);
        }
        GuidanceScale = guidanceScale;
        // Encode the two prompts every chain uses now, so a missing one fails here rather than mid-chain.
        _ = PromptCondition("");
        _ = PromptCondition(GenericPrompt);
    }

    /// <summary>Stage I.</summary>
    public IDeepFloydModel Stage1 { get; }

    /// <summary>The prompt embeddings: the store given, or (without one) those T5 has encoded so far.</summary>
    public PromptEmbeddings Prompts => _store ?? _encoded;

    /// <summary>γ.</summary>
    public double GuidanceScale { get; }

    /// <summary>990, 960, …, 0 (34 entries).</summary>
    public TimestepSequence Strided { get; } = Timesteps.Strided();

    /// <summary>CS180's <c>add_variance</c>: learned range, current t, no thresholding or clipping.</summary>
    public ISampler Sampler { get; } = new DdpmSampler(new DdpmSamplerOptions { Variance = DdpmVariance.LearnedRange });

    /// <summary>CFG with the empty prompt (§1.6 on).</summary>
    public IGuidance Guidance => Guide.ClassifierFree(GuidanceScale, PromptCondition(""));

    /// <summary>The schedule.</summary>
    public INoiseSchedule Schedule => Stage1.Schedule;

    /// <summary>§1.1: x_t with fresh noise.</summary>
    public Tensor Forward(Tensor image, int timestep, long seed)
        => DiffusionPipeline.From(image).Noise(Schedule, timestep).Run(seed);

    /// <summary>§1.3: one-step estimate of x_0 from x_t with the generic prompt (no CFG, as in the course).</summary>
    public Tensor OneStep(Tensor noisy, int timestep)
        => OneStepDenoising.Estimate(Stage1, Schedule, noisy, timestep, PromptCondition(GenericPrompt));

    /// <summary>§1.4 / §1.5 / §1.6: iterative denoising of <paramref name="noisy"/> from entry <paramref name="startIndex"/>.</summary>
    public DiffusionPipeline Iterative(Tensor noisy, int startIndex, string prompt = GenericPrompt, bool guided = true)
    {
        var pipeline = DiffusionPipeline.From(noisy).Denoise(Stage1, Strided.From(startIndex), PromptCondition(prompt)).WithSampler(Sampler);
        return guided ? pipeline.WithGuidance(Guidance) : pipeline;
    }

    /// <summary>§1.5 / §1.6: samples from pure noise.</summary>
    public DiffusionPipeline Sample(int count, string prompt = GenericPrompt, bool guided = true)
    {
        var pipeline = DiffusionPipeline.FromNoise(count, 3, Stage1.SampleSize, Stage1.SampleSize).Denoise(Stage1, Strided, PromptCondition(prompt)).WithSampler(Sampler);
        return guided ? pipeline.WithGuidance(Guidance) : pipeline;
    }

    /// <summary>§1.7 / §1.7.3: SDEdit toward <paramref name="prompt"/> from <paramref name="startIndex"/>.</summary>
    public DiffusionPipeline Sdedit(Tensor image, int startIndex, string prompt = GenericPrompt)
        => SdeditTechnique.Build(Stage1, Schedule, image, Strided, startIndex, PromptCondition(prompt), Guidance, Sampler);

    /// <summary>§1.7.2: inpainting where <paramref name="mask"/> is 1.</summary>
    public DiffusionPipeline Inpaint(Tensor image, Tensor mask, string prompt = GenericPrompt)
        => Sample((int)image.shape[0], prompt).Inpaint(image, mask);

    /// <summary>§1.8: a visual anagram, <paramref name="upright"/> as is and <paramref name="flipped"/> through <paramref name="view"/> (default: upside down).</summary>
    public DiffusionPipeline Anagram(string upright, string flipped, IView? view = null, int count = 1)
        => DiffusionPipeline.FromNoise(count, 3, Stage1.SampleSize, Stage1.SampleSize)
            .Denoise(Stage1, Strided, View.Average((PromptCondition(upright), View.Identity), (PromptCondition(flipped), view ?? View.FlipVertical)))
            .WithGuidance(Guidance)
            .WithSampler(Sampler);

    /// <summary>§1.9: a hybrid image, <paramref name="far"/> in the low frequencies and <paramref name="near"/> in the high ones (Gaussian 33, σ 2).</summary>
    public DiffusionPipeline Hybrid(string far, string near, int count = 1, int kernelSize = 33, double sigma = 2.0)
        => DiffusionPipeline.FromNoise(count, 3, Stage1.SampleSize, Stage1.SampleSize)
            .Denoise(Stage1, Strided, View.Hybrid(PromptCondition(far), PromptCondition(near), kernelSize, sigma))
            .WithGuidance(Guidance)
            .WithSampler(Sampler);

    /// <summary>
    /// The embedding of <paramref name="prompt"/>: the store's when it holds the prompt, else stage I's T5 encoding
    /// (made once, owned by this object).
    /// </summary>
    /// <exception cref="NotSupportedException">The store lacks the prompt and T5 is not loaded; the message names the options.</exception>
    public TextCondition PromptCondition(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (_store is not null && _store.Contains(prompt)) return _store[prompt];
        var encoder = Stage1.TextEncoder;
        if (encoder is null) throw _store is null ? IFPromptEncoder.NoEncoder(prompt) : IFPromptEncoder.NotInStore(prompt, _store);
        lock (_encodeLock)
        {
            if (!_encoded.Contains(prompt))
            {
                using var embedding = encoder.Encode([prompt]);
                _encoded.Add(prompt, embedding);
            }
            return _encoded[prompt];
        }
    }

    /// <summary>Frees the T5 embeddings this object made (a store given to it stays the caller's).</summary>
    public void Dispose() => _encoded.Dispose();
}
