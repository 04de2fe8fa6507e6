using Diffusion.Net.Guidance;
using Diffusion.Net.Imaging;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Sampling;

/// <summary>CS180 Part B sampling through the core pipeline: Algorithms B.2 and B.4, or any <see cref="MnistSampler"/>.</summary>
public static class MnistSampling
{
    /// <summary>
    /// The DDPM step of Algorithms B.2/B.4: σ² = β_t (z = 0 at the last step). With <paramref name="clipToDataRange"/>,
    /// x̂_0 is clamped to MNIST's [0, 1] at every step, as DDPM's reference implementation clips x̂_0 to its data range
    /// (measured on the quick model at CFG 5: the feature distance drops from 5.2× to 4.4× the real-digit floor).
    /// </summary>
    public static DdpmSampler Sampler(bool clipToDataRange = true)
        => new(new DdpmSamplerOptions { Variance = DdpmVariance.FixedLarge, DataRange = clipToDataRange ? (0, 1) : null });

    /// <summary>
    /// Algorithm B.2: pure noise, then t = T … 1 with the DDPM step and √β_t z (z = 0 at the last step); with
    /// <paramref name="sampler"/>, that sampler's grid instead.
    /// </summary>
    public static DiffusionPipeline TimeConditioned(TimeConditionalUNet model, int count, bool clipToDataRange = true, MnistSampler? sampler = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        model.eval();
        return Denoise(DiffusionPipeline.FromNoise(count, model.InChannels, 28, 28), model, model.Objective, Condition.None, sampler ?? Default(model.Objective, clipToDataRange));
    }

    /// <summary>
    /// The guided timesteps of <see cref="ClassConditioned"/> when limited guidance is asked for: t ≤ 150, the lower half
    /// of the T = 300 schedule (x_t there still carries more noise than signal at t = 150: ᾱ ≈ 0.46). Above it the
    /// conditional prediction alone lays out the digit, which keeps more of the real digits' variety of shapes and stroke widths
    /// that γ = 5 applied from pure noise flattens (measured in docs/results-mnist.md).
    /// </summary>
    public static (double Min, double Max) LimitedGuidanceInterval { get; } = (0, 150);

    /// <summary>
    /// The flow models' counterpart of <see cref="LimitedGuidanceInterval"/>: guidance for σ ≤ 0.5 (τ ≤ 500, CS180's
    /// t ≥ 0.5), the half of the path where x carries less noise than signal.
    /// </summary>
    public static (double Min, double Max) FlowLimitedGuidanceInterval { get; } = (0, 500);

    /// <summary>The limited guidance interval for a model of <paramref name="objective"/>.</summary>
    public static (double Min, double Max) LimitedGuidanceIntervalFor(MnistObjective objective)
        => objective == MnistObjective.Flow ? FlowLimitedGuidanceInterval : LimitedGuidanceInterval;

    /// <summary>
    /// Algorithm B.4: B.2 with classifier-free guidance ε_u + γ(ε_c − ε_u) toward <paramref name="digits"/> (CS180: γ = 5);
    /// with <paramref name="sampler"/>, that sampler's grid instead of all 300 DDPM steps. A flow model is guided the same
    /// way in its velocity, u = u_∅ + γ(u_c − u_∅), and sampled by <see cref="MnistSampler.DefaultFor"/> unless told otherwise.
    /// </summary>
    /// <param name="model">The class-conditioned UNet.</param>
    /// <param name="digits">One requested digit per sample.</param>
    /// <param name="guidanceScale">γ.</param>
    /// <param name="clipToDataRange">Clamp x̂_0 to [0, 1] at every step.</param>
    /// <param name="guidanceInterval">
    /// When set, γ applies only at timesteps in this inclusive range and the conditional prediction elsewhere
    /// (<see cref="IntervalGuidance"/>, e.g. <see cref="LimitedGuidanceInterval"/>); null guides every step, as B.4 does.
    /// </param>
    /// <param name="sampler">The sampler and its steps (default: B.4's DDPM at every timestep).</param>
    public static DiffusionPipeline ClassConditioned(ClassConditionalUNet model, IReadOnlyList<int> digits, double guidanceScale = 5.0, bool clipToDataRange = true,
        (double Min, double Max)? guidanceInterval = null, MnistSampler? sampler = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(digits);
        if (digits.Count == 0) throw new ArgumentException("At least one digit is needed.", nameof(digits));
        if (!(guidanceScale >= 0) || !double.IsFinite(guidanceScale))
            throw new ArgumentOutOfRangeException(nameof(guidanceScale), guidanceScale, "The guidance scale γ must be a finite number ≥ 0 (0 = unconditional, 1 = conditional, CS180: 5).");
        var condition = Condition.Classes(digits.ToArray());
        condition.Validate(model.Classes);
        model.eval();
        return Denoise(DiffusionPipeline.FromNoise(digits.Count, model.InChannels, 28, 28), model, model.Objective, condition, sampler ?? Default(model.Objective, clipToDataRange))
            .WithGuidance(guidanceInterval is { } interval ? Guide.ClassifierFree(guidanceScale).Within(interval.Min, interval.Max) : Guide.ClassifierFree(guidanceScale));
    }

    /// <summary>
    /// 0, 1, …, 9 repeated <paramref name="perDigit"/> times: in a 10-column grid every column is one digit and every
    /// row one instance (CS180's 4-per-digit figure).
    /// </summary>
    public static int[] EachDigit(int perDigit = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perDigit, 1);
        return Enumerable.Range(0, perDigit).SelectMany(_ => Enumerable.Range(0, 10)).ToArray();
    }

    /// <summary>
    /// Post-processing of generated digits: clip to [0, 1] (the data range) and, when <paramref name="background"/> is
    /// above 0, set every pixel below it to 0 (MNIST's background is exactly 0; the sampler leaves faint speckle).
    /// The result is marked [0, 1] (<see cref="PixelRanges"/>).
    /// </summary>
    public static Tensor Threshold(Tensor samples, double background = 0.0)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (!(background >= 0 && background < 1)) throw new ArgumentOutOfRangeException(nameof(background), background, "The background threshold must lie in [0, 1).");
        var clipped = samples.clamp(0f, 1f);
        if (background == 0) return clipped.WithPixelRange(PixelRange.ZeroToOne);
        using (clipped)
            return clipped.where(clipped.ge(background), 0f).WithPixelRange(PixelRange.ZeroToOne);
    }

    private static MnistSampler Default(MnistObjective objective, bool clipToDataRange)
        => objective == MnistObjective.Flow ? MnistSampler.FlowEuler(MnistSampler.DefaultFlowSteps, clipToDataRange) : MnistSampler.Ddpm(clipToDataRange);

    private static DiffusionPipeline Denoise(DiffusionPipeline start, IDiffusionModel model, MnistObjective objective, Condition condition, MnistSampler sampler)
    {
        if (sampler.Objective != objective)
            throw new ArgumentException(objective == MnistObjective.Flow
                ? $"MNIST sampler '{sampler.Name}' reads DDPM (ε-prediction) models; this is a flow model: use {MnistSampler.KnownFlow} (MnistSampler.Parse(name, MnistObjective.Flow))."
                : $"MNIST sampler '{sampler.Name}' reads flow models; this is a DDPM model: use {MnistSampler.Known}.", nameof(sampler));
        if (objective == MnistObjective.Flow) return start.Denoise(model, sampler.Schedule(model.Process), condition).WithSampler(sampler.Sampler);
        var chain = sampler.Steps is { } steps ? start.Denoise(model, steps, condition) : start.Denoise(model, Timesteps.All(((INoiseSchedule)model.Process).Length), condition);
        return chain.WithSampler(sampler.Sampler);
    }
}
