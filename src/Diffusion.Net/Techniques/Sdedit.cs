using Diffusion.Net.Guidance;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Techniques;

/// <summary>
/// SDEdit image-to-image (Meng et al. 2022; CS180 Part A §1.7): noise an image to entry i_start of a timestep
/// sequence with the forward process, then denoise from there toward a condition. Small i_start means heavy noise
/// (a free reinterpretation); large i_start keeps the source. The same chain with another condition is CS180's
/// text-conditional image-to-image (§1.7.3).
/// </summary>
public static class Sdedit
{
    /// <summary>The chain for one start index.</summary>
    public static DiffusionPipeline Build(INoisePredictor model, IDiffusionProcess process, Tensor image, TimestepSequence timesteps, int startIndex,
        IConditioning conditioning, IGuidance? guidance = null, ISampler? sampler = null)
    {
        ArgumentNullException.ThrowIfNull(timesteps);
        var pipeline = DiffusionPipeline.From(image)
            .Noise(process, timesteps, startIndex)
            .Denoise(model, process, timesteps.From(startIndex), conditioning);
        if (guidance is not null) pipeline = pipeline.WithGuidance(guidance);
        if (sampler is not null) pipeline = pipeline.WithSampler(sampler);
        return pipeline;
    }

    /// <summary>
    /// The chain for one start level of a sampler's grid (e.g. <c>sampler.CreateSchedule(process, 20)</c>): the forward
    /// process to level <paramref name="startIndex"/>, then the sampler from there (a multistep sampler restarts its
    /// history at that level, as diffusers' image-to-image pipelines do).
    /// </summary>
    public static DiffusionPipeline Build(INoisePredictor model, SigmaSchedule schedule, Tensor image, int startIndex, IConditioning conditioning,
        ISampler sampler, IGuidance? guidance = null)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(sampler);
        var pipeline = DiffusionPipeline.From(image)
            .Noise(schedule, startIndex)
            .Denoise(model, schedule.From(startIndex), conditioning)
            .WithSampler(sampler);
        return guidance is null ? pipeline : pipeline.WithGuidance(guidance);
    }

    /// <summary>
    /// The whole series over <paramref name="startIndices"/> (CS180: 1, 3, 5, 7, 10, 20), each run with the same seed.
    /// The caller owns the returned tensors.
    /// </summary>
    public static IReadOnlyList<(int StartIndex, int Timestep, Tensor Image)> Series(INoisePredictor model, IDiffusionProcess process, Tensor image,
        TimestepSequence timesteps, IReadOnlyList<int> startIndices, IConditioning conditioning, IGuidance? guidance = null, ISampler? sampler = null,
        long seed = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(startIndices);
        ArgumentNullException.ThrowIfNull(timesteps);
        if (startIndices.Count == 0) throw new ArgumentException("At least one start index is needed.", nameof(startIndices));
        // Build every chain first, so a bad index fails before any work.
        var chains = startIndices.Select(i => (i, Build(model, process, image, timesteps, i, conditioning, guidance, sampler))).ToList();
        var results = new List<(int, int, Tensor)>();
        try
        {
            foreach (var (i, chain) in chains) results.Add((i, timesteps[i], chain.Run(seed, cancellationToken)));
            return results;
        }
        catch
        {
            foreach (var (_, _, t) in results) t.Dispose();
            throw;
        }
    }
}
