using Diffusion.Net.Guidance;
using Diffusion.Net.Imaging;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Mnist.Sampling;
using Diffusion.Net.Mnist.Training;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using Diffusion.Net.Views;
using static TorchSharp.torch;
using SdeditTechnique = Diffusion.Net.Techniques.Sdedit;

namespace Diffusion.Net.Mnist.PartA;

/// <summary>
/// CS180 Part A's techniques on the class-conditioned MNIST UNet, with digits as conditions: the same core chains
/// that DeepFloyd IF runs with prompts. Strided timesteps are 290, 280, …, 0 (30 entries on the T = 300 schedule,
/// stopping at 0 like CS180's loop); the "high quality photo" of CS180 is the null class; guidance is CFG (γ = 5).
/// Every method runs a batch in one chain: each row gets its own noise from the seeded generator.
/// </summary>
public sealed class MnistPartA
{
    /// <summary>Creates the context.</summary>
    public MnistPartA(ClassConditionalUNet model, double guidanceScale = 5.0)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        if (!double.IsFinite(guidanceScale)) throw new ArgumentOutOfRangeException(nameof(guidanceScale), guidanceScale, "Must be finite.");
        GuidanceScale = guidanceScale;
        Strided = Timesteps.Strided(start: model.Schedule.Length - 10, stride: 10);
        model.eval();
    }

    /// <summary>CS180's SDEdit start indices.</summary>
    public static IReadOnlyList<int> Cs180StartIndices { get; } = [1, 3, 5, 7, 10, 20];

    /// <summary>The model.</summary>
    public ClassConditionalUNet Model { get; }

    /// <summary>The schedule.</summary>
    public INoiseSchedule Schedule => Model.Schedule;

    /// <summary>290, 280, …, 0.</summary>
    public TimestepSequence Strided { get; }

    /// <summary>γ.</summary>
    public double GuidanceScale { get; }

    /// <summary>CFG with the null class as the unconditional branch.</summary>
    public IGuidance Guidance => Guide.ClassifierFree(GuidanceScale);

    /// <summary>The DDPM step with x̂_0 clipped to [0, 1].</summary>
    public ISampler Sampler { get; } = MnistSampling.Sampler();

    /// <summary>The condition for a batch: a digit per row, or the null class (CS180's "a high quality photo").</summary>
    public static ClassCondition Digits(IReadOnlyList<int>? digits, int batch)
        => digits is null ? new ClassCondition(Enumerable.Repeat(-1L, batch).ToArray()) : Condition.Classes(digits.ToArray());

    /// <summary>§1.5/1.6: samples from pure noise (null class = unconditional; with CFG toward digits).</summary>
    public Tensor Sample(IReadOnlyList<int>? digits, int count, long seed, bool guided = true)
        => DiffusionPipeline.FromNoise(count, 1, 28, 28)
            .Denoise(Model, Strided, Digits(digits, count))
            .WithGuidance(guided ? Guidance : Guide.None)
            .WithSampler(Sampler)
            .Run(seed);

    /// <summary>§1.7 / §1.7.3: SDEdit of each source toward a digit per row (null = unconditional) from <paramref name="startIndex"/>.</summary>
    public Tensor Sdedit(Tensor sources, int startIndex, IReadOnlyList<int>? toward, long seed)
    {
        ArgumentNullException.ThrowIfNull(sources);
        return SdeditTechnique.Build(Model, Schedule, sources, Strided, startIndex, Digits(toward, (int)sources.shape[0]), Guidance, Sampler).Run(seed);
    }

    /// <summary>§1.7.2: RePaint inpainting of each source where <paramref name="mask"/> is 1, guided toward a digit per row.</summary>
    public DiffusionPipeline Inpainting(Tensor sources, Tensor mask, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(sources);
        return DiffusionPipeline.FromNoise(sources.shape[0], 1, 28, 28)
            .Denoise(Model, Strided, Digits(labels, (int)sources.shape[0]))
            .WithGuidance(Guidance)
            .WithSampler(Sampler)
            .Inpaint(sources, mask);
    }

    /// <summary>§1.8: a visual anagram reading as <paramref name="upright"/> and, through <paramref name="view"/>, as <paramref name="other"/>.</summary>
    public Tensor Anagram(int upright, int other, IView view, int count, long seed)
        => DiffusionPipeline.FromNoise(count, 1, 28, 28)
            .Denoise(Model, Strided, View.Average((Condition.Classes(upright), View.Identity), (Condition.Classes(other), view)))
            .WithGuidance(Guidance)
            .WithSampler(Sampler)
            .Run(seed);

    /// <summary>§1.9: a hybrid reading as <paramref name="far"/> from afar (low-pass) and <paramref name="near"/> up close (high-pass).</summary>
    public Tensor Hybrid(int far, int near, int count, long seed, int kernelSize = 33, double sigma = 2.0)
        => DiffusionPipeline.FromNoise(count, 1, 28, 28)
            .Denoise(Model, Strided, View.Hybrid(Condition.Classes(far), Condition.Classes(near), kernelSize, sigma))
            .WithGuidance(Guidance)
            .WithSampler(Sampler)
            .Run(seed);

    /// <summary>The lower half of a 28×28 digit as an inpainting mask (1 = generate).</summary>
    public static Tensor LowerHalfMask() => Masks.Rectangle(28, 28, top: 14, left: 0, height: 14, width: 28);

    /// <summary>The high-pass residual x − blur(x), positive part scaled to [0, 1]: the "near" reading a classifier can take.</summary>
    public static Tensor HighPassView(Tensor images, int kernelSize = 33, double sigma = 2.0)
    {
        using var scope = NewDisposeScope();
        var residual = (images - GaussianBlur.Apply(images, kernelSize, sigma)).clamp_min(0f);
        var peak = residual.amax([1, 2, 3], keepdim: true).clamp_min(1e-6f);
        return scope.MoveToOuter(residual / peak);
    }
}
