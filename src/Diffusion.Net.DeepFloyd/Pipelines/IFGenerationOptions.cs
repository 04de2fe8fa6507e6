using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;

namespace Diffusion.Net.DeepFloyd.Pipelines;

/// <summary>Options of <see cref="IFPipeline"/> (diffusers' IFPipeline defaults).</summary>
public sealed record IFGenerationOptions
{
    /// <summary>Inference steps with the scheduler's spacing (diffusers' default 100; CS180 Part 0 uses 20).</summary>
    public int Steps { get; init; } = 100;

    /// <summary>An explicit timestep list (e.g. a preset such as fast27, or CS180's strided list); overrides <see cref="Steps"/>.</summary>
    public TimestepSequence? Timesteps { get; init; }

    /// <summary>
    /// The sampler (default: the stage's DDPM from its scheduler config). DPM-Solver++(2M) at 20–25 steps is how diffusers
    /// users run IF: <c>new DpmSolverSampler(stage1.SchedulerConfig.Configure(new DpmSolverOptions()))</c> keeps the
    /// config's dynamic thresholding.
    /// </summary>
    public ISampler? Sampler { get; init; }

    /// <summary>CFG scale; guidance is on only when it exceeds 1, as in diffusers.</summary>
    public double GuidanceScale { get; init; } = 7.0;

    /// <summary>Images per prompt (each prompt's embedding repeated consecutively).</summary>
    public int ImagesPerPrompt { get; init; } = 1;

    /// <summary>The seed of the generator that draws the initial noise and every step's noise.</summary>
    public long Seed { get; init; }

    /// <summary>
    /// Where every random draw comes from instead of a generator seeded with <see cref="Seed"/>: e.g. a
    /// <see cref="GeneratorNoiseSource"/> over the caller's <c>torch.Generator</c>, to continue its stream (diffusers'
    /// <c>generator=</c>) or to share one stream across stage I and stage II. The caller keeps it alive for the run;
    /// a source is not safe for concurrent runs.
    /// </summary>
    public INoiseSource? NoiseSource { get; init; }

    /// <summary>Output size (default: the UNet's sample size).</summary>
    public int? Size { get; init; }

    /// <summary>Capture a trajectory frame every this many steps (0 = off).</summary>
    public int CaptureEvery { get; init; }

    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Steps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ImagesPerPrompt, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(CaptureEvery);
        if (!double.IsFinite(GuidanceScale)) throw new ArgumentOutOfRangeException(nameof(GuidanceScale), GuidanceScale, "Must be finite.");
        if (Size is < 8) throw new ArgumentOutOfRangeException(nameof(Size), Size, "Must be at least 8.");
    }
}

/// <summary>Options of <see cref="IFSuperResolutionPipeline"/> (diffusers' IFSuperResolutionPipeline defaults).</summary>
public sealed record IFSuperResolutionOptions
{
    /// <summary>Inference steps (default 50; CS180 uses 20).</summary>
    public int Steps { get; init; } = 50;

    /// <summary>An explicit timestep list; overrides <see cref="Steps"/>.</summary>
    public TimestepSequence? Timesteps { get; init; }

    /// <summary>The sampler (default: the stage's DDPM from its scheduler config); see <see cref="IFGenerationOptions.Sampler"/>.</summary>
    public ISampler? Sampler { get; init; }

    /// <summary>CFG scale (default 4).</summary>
    public double GuidanceScale { get; init; } = 4.0;

    /// <summary>The noise level added to the upscaled low-resolution image (default 250).</summary>
    public int NoiseLevel { get; init; } = 250;

    /// <summary>Upscaled images per input image (each input's copies consecutive, as diffusers' num_images_per_prompt).</summary>
    public int ImagesPerPrompt { get; init; } = 1;

    /// <summary>The generator seed.</summary>
    public long Seed { get; init; }

    /// <summary>
    /// Where every random draw comes from instead of a generator seeded with <see cref="Seed"/>: x first, then the
    /// upscaled image's noise, then one draw per step, as diffusers does with <c>generator=</c>. See
    /// <see cref="IFGenerationOptions.NoiseSource"/>.
    /// </summary>
    public INoiseSource? NoiseSource { get; init; }

    /// <summary>Capture a trajectory frame every this many steps (0 = off).</summary>
    public int CaptureEvery { get; init; }

    /// <summary>Throws if a value is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Steps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ImagesPerPrompt, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(CaptureEvery);
        ArgumentOutOfRangeException.ThrowIfNegative(NoiseLevel);
        if (!double.IsFinite(GuidanceScale)) throw new ArgumentOutOfRangeException(nameof(GuidanceScale), GuidanceScale, "Must be finite.");
    }
}
