using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.Guidance;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Pipelines;

/// <summary>
/// 64 → 256 with DeepFloyd IF stage II, with diffusers' IFSuperResolutionPipeline semantics: draw x (first), upscale
/// the low-resolution image bilinearly (align_corners), draw its noise (second) and noise it to the noise level with
/// the image-noising scheduler, then denoise with the stage II UNet taking cat([x_t, upscaled]) and the noise level
/// as class label, CFG on ε only with the conditional variance, one noise draw per step.
/// </summary>
public sealed class IFSuperResolutionPipeline(DeepFloydModel stage2)
{
    private readonly DeepFloydModel _stage2 = stage2 ?? throw new ArgumentNullException(nameof(stage2));

    /// <summary>Upscales <paramref name="image"/> ([B, 3, h, w] in [−1, 1]) to the stage II size.</summary>
    public DiffusionResult Upscale(Tensor image, TextCondition prompts, TextCondition negative, IFSuperResolutionOptions? options = null,
        IProgress<DiffusionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(negative);
        options ??= new IFSuperResolutionOptions();
        options.Validate();
        if (!_stage2.IsSuperResolution) throw new InvalidOperationException("IFSuperResolutionPipeline needs a stage II model.");
        if (image.dim() != 4 || image.shape[1] != _stage2.UNet.Config.SampleChannels)
            throw new ArgumentException($"The low-resolution image must be [B, {_stage2.UNet.Config.SampleChannels}, h, w]; got [{string.Join(", ", image.shape)}].", nameof(image));
        if (image.shape[0] < 1 || image.shape[2] < 1 || image.shape[3] < 1)
            throw new ArgumentException($"The low-resolution image has an empty dimension: [{string.Join(", ", image.shape)}].", nameof(image));
        using (var finite = isfinite(image).all())
        {
            if (!finite.item<bool>()) throw new ArgumentException("The low-resolution image contains NaN or infinite values.", nameof(image));
        }
        if (options.NoiseLevel >= _stage2.ImageNoisingSchedule!.Length)
            throw new ArgumentOutOfRangeException(nameof(options), options.NoiseLevel, $"The noise level must lie in [0, {_stage2.ImageNoisingSchedule.Length - 1}].");
        long b = image.shape[0];
        if (prompts.BatchSize is { } pb && pb != 1 && pb != b) throw new ArgumentException($"{pb} prompts for {b} images.", nameof(prompts));
        int size = _stage2.SampleSize;

        using var generator = new Generator((ulong)options.Seed, CPU);
        var noise = new GeneratorNoiseSource(generator);
        using var x = noise.Next([b, 3, size, size], ScalarType.Float32, CPU);
        using var low = image.to(ScalarType.Float32, CPU);
        using var upscaled = nn.functional.interpolate(low, [size, size], mode: InterpolationMode.Bilinear, align_corners: true);
        using var upscaleNoise = noise.Next(upscaled.shape, ScalarType.Float32, CPU);
        using var noised = ForwardProcess.AddNoise(_stage2.ImageNoisingSchedule, upscaled, upscaleNoise, options.NoiseLevel);
        using var level = full(b, (long)options.NoiseLevel, ScalarType.Int64);
        var imageCondition = new ImageCondition(noised, level);
        var positive = Condition.Combine(prompts.Repeat((int)b), imageCondition);
        var negativeCombined = Condition.Combine(negative.Repeat((int)b), imageCondition);
        var start = DiffusionPipeline.FromNoise(x);
        var pipeline = (options.Timesteps is { } timesteps ? start.Denoise(_stage2, timesteps.ThroughLast(), positive) : start.Denoise(_stage2, options.Steps, positive))
            .WithSampler(options.Sampler ?? _stage2.Sampler)
            .WithGuidance(options.GuidanceScale > 1 ? Guide.ClassifierFree(options.GuidanceScale, negativeCombined) : Guide.None);
        // The same generator continues: the per-step draws follow the two above, as in diffusers.
        return pipeline.Run(new DiffusionRunOptions { Seed = options.Seed, NoiseSource = noise }, progress, cancellationToken);
    }
}
