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
/// that DeepFloyd IF runs with prompts. A DDPM model walks the strided timesteps 290, 280, …, 0 (30 entries on the
/// T = 300 schedule, stopping at 0 like CS180's loop) with the DDPM step; a flow model walks 30 equal Euler steps in
/// t (σ = 1, 29/30, …, 1/30, then clean data), as CS180's flow sampler does, so start index i means t_start = i/30. The
/// "high quality photo" of CS180 is the null class; guidance is CFG (γ = 5). Every method runs a batch in one chain:
/// each row gets its own noise from the seeded generator.
/// </summary>
public sealed class MnistPartA
{
    /// <summary>The number of levels a flow model's Part A chains walk (as many as the DDPM model's strided timesteps).</summary>
    public const int FlowSteps = 30;

    /// <summary>Creates the context.</summary>
    public MnistPartA(ClassConditionalUNet model, double guidanceScale = 5.0)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        if (!double.IsFinite(guidanceScale) || guidanceScale < 0)
            throw new ArgumentOutOfRangeException(nameof(guidanceScale), guidanceScale, "The guidance scale γ must be a finite number ≥ 0.");
        GuidanceScale = guidanceScale;
        if (model.Schedule is { } schedule)
        {
            Strided = Timesteps.Strided(start: schedule.Length - 10, stride: 10);
            Levels = SigmaSchedule.FromTimesteps(schedule, Strided);
            Sampler = MnistSampling.Sampler();
        }
        else
        {
            Levels = SigmaSchedule.FlowUniform(model.Process, FlowSteps);
            Sampler = MnistSampler.FlowEuler(FlowSteps).Sampler;
        }
        model.eval();
    }

    /// <summary>CS180's SDEdit start indices.</summary>
    public static IReadOnlyList<int> Cs180StartIndices { get; } = [1, 3, 5, 7, 10, 20];

    /// <summary>The model.</summary>
    public ClassConditionalUNet Model { get; }

    /// <summary>The model's process (the DDPM table or rectified flow).</summary>
    public IDiffusionProcess Process => Model.Process;

    /// <summary>A DDPM model's strided timesteps 290, 280, …, 0; null for a flow model.</summary>
    public TimestepSequence? Strided { get; }

    /// <summary>The noise levels every chain walks: the strided timesteps, or a flow model's 30 equal steps.</summary>
    public SigmaSchedule Levels { get; }

    /// <summary>γ.</summary>
    public double GuidanceScale { get; }

    /// <summary>CFG with the null class as the unconditional branch.</summary>
    public IGuidance Guidance => Guide.ClassifierFree(GuidanceScale);

    /// <summary>The DDPM step with x̂_0 clipped to [0, 1], or the flow Euler step with the same clip.</summary>
    public ISampler Sampler { get; }

    /// <summary>The model timestep of level <paramref name="index"/>: t = 290 − 10i (DDPM), τ = 1000·(1 − i/30) (flow).</summary>
    public double TimestepAt(int index) => Levels[index].Timestep;

    /// <summary>The condition for a batch: a digit per row, or the null class (CS180's "a high quality photo").</summary>
    public static ClassCondition Digits(IReadOnlyList<int>? digits, int batch)
        => digits is null ? new ClassCondition(Enumerable.Repeat(-1L, batch).ToArray()) : Condition.Classes(digits.ToArray());

    /// <summary>Denoises over every level (or from <paramref name="startIndex"/> on) with this context's sampler.</summary>
    public DiffusionPipeline Walk(DiffusionPipeline start, IConditioning conditioning, int startIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(start);
        var chain = Strided is { } strided
            ? start.Denoise(Model, startIndex == 0 ? strided : strided.From(startIndex), conditioning)
            : start.Denoise(Model, startIndex == 0 ? Levels : Levels.From(startIndex), conditioning);
        return chain.WithSampler(Sampler);
    }

    /// <summary>§1.5/1.6: samples from pure noise (null class = unconditional; with CFG toward digits).</summary>
    public Tensor Sample(IReadOnlyList<int>? digits, int count, long seed, bool guided = true)
        => Walk(DiffusionPipeline.FromNoise(count, 1, 28, 28), Digits(digits, count))
            .WithGuidance(guided ? Guidance : Guide.None)
            .Run(seed);

    /// <summary>§1.7 / §1.7.3: SDEdit of each source toward a digit per row (null = unconditional) from <paramref name="startIndex"/>.</summary>
    public Tensor Sdedit(Tensor sources, int startIndex, IReadOnlyList<int>? toward, long seed)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var condition = Digits(toward, (int)sources.shape[0]);
        return (Strided is { } strided
                ? SdeditTechnique.Build(Model, Model.Process, sources, strided, startIndex, condition, Guidance, Sampler)
                : SdeditTechnique.Build(Model, Levels, sources, startIndex, condition, Sampler, Guidance))
            .Run(seed);
    }

    /// <summary>
    /// §1.7.2: RePaint inpainting of each source where <paramref name="mask"/> is 1, guided toward a digit per row; outside
    /// the mask x is replaced after every step by the source noised to the level reached (on a flow model
    /// (1 − t)·ε + t·x_orig).
    /// </summary>
    public DiffusionPipeline Inpainting(Tensor sources, Tensor mask, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(sources);
        return Walk(DiffusionPipeline.FromNoise(sources.shape[0], 1, 28, 28), Digits(labels, (int)sources.shape[0]))
            .WithGuidance(Guidance)
            .Inpaint(sources, mask);
    }

    /// <summary>§1.8: a visual anagram reading as <paramref name="upright"/> and, through <paramref name="view"/>, as <paramref name="other"/>.</summary>
    public Tensor Anagram(int upright, int other, IView view, int count, long seed)
        => Walk(DiffusionPipeline.FromNoise(count, 1, 28, 28), View.Average((Condition.Classes(upright), View.Identity), (Condition.Classes(other), view)))
            .WithGuidance(Guidance)
            .Run(seed);

    /// <summary>§1.9: a hybrid reading as <paramref name="far"/> from afar (low-pass) and <paramref name="near"/> up close (high-pass).</summary>
    public Tensor Hybrid(int far, int near, int count, long seed, int kernelSize = 33, double sigma = 2.0)
        => Walk(DiffusionPipeline.FromNoise(count, 1, 28, 28), View.Hybrid(Condition.Classes(far), Condition.Classes(near), kernelSize, sigma))
            .WithGuidance(Guidance)
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
