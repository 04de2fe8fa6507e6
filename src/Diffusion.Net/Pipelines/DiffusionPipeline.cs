using System.Collections.Immutable;
using Diffusion.Net.Guidance;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Pipelines;

/// <summary>
/// A fluent, immutable description of a diffusion run: a source (noise or an image), then links such as forward
/// noising and denoising loops, plus run-wide settings (guidance, sampler, inpainting, trajectory capture).
/// Every method returns a new pipeline; a pipeline can be run any number of times with different seeds.
/// </summary>
/// <example>
/// <code>
/// using Tensor digits = DiffusionPipeline.FromNoise(40, 1, 28, 28)
///     .Denoise(unet, Timesteps.All(300), Condition.Classes(labels))
///     .WithGuidance(Guide.ClassifierFree(5))
///     .Run(seed: 0);
/// </code>
/// </example>
public sealed class DiffusionPipeline
{
    private readonly ImmutableArray<IPipelineStep> _steps;

    private DiffusionPipeline(ImmutableArray<IPipelineStep> steps, PipelineSettings settings)
    {
        _steps = steps;
        Settings = settings;
    }

    /// <summary>The links, in order.</summary>
    public IReadOnlyList<IPipelineStep> Steps => _steps;

    /// <summary>The run-wide settings.</summary>
    public PipelineSettings Settings { get; }

    /// <summary>The number of denoising steps a run takes.</summary>
    public int TotalDenoisingSteps => _steps.Sum(s => s.DenoisingSteps);

    /// <summary>Starts from pure Gaussian noise of shape [B, C, H, W] (drawn from the run's generator).</summary>
    public static DiffusionPipeline FromNoise(long batch, long channels, long height, long width)
        => Start(new PureNoiseStep([batch, channels, height, width]));

    /// <summary>Starts from an image tensor ([B, C, H, W] or [C, H, W], in the model's range; copied at run time).</summary>
    public static DiffusionPipeline From(Tensor image) => Start(new TensorSourceStep(image));

    /// <summary>Starts from a custom source link.</summary>
    public static DiffusionPipeline Start(IPipelineStep source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new DiffusionPipeline([source], new PipelineSettings());
    }

    /// <summary>Appends any link.</summary>
    public DiffusionPipeline Then(IPipelineStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        return new DiffusionPipeline(_steps.Add(step), Settings);
    }

    /// <summary>Applies the forward process to timestep <paramref name="timestep"/> (fresh noise).</summary>
    public DiffusionPipeline Noise(INoiseSchedule schedule, int timestep) => Then(new ForwardNoiseStep(schedule, timestep));

    /// <summary>Applies the forward process to entry <paramref name="index"/> of <paramref name="timesteps"/> (SDEdit's start).</summary>
    public DiffusionPipeline Noise(INoiseSchedule schedule, TimestepSequence timesteps, int index)
    {
        ArgumentNullException.ThrowIfNull(timesteps);
        if ((uint)index >= (uint)timesteps.Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Index must lie in [0, {timesteps.Count - 1}].");
        return Noise(schedule, timesteps[index]);
    }

    /// <summary>Applies a shape-preserving transform (e.g. <c>x => GaussianBlur.Apply(x, 5, 2)</c>).</summary>
    public DiffusionPipeline Transform(string description, Func<Tensor, Tensor> transform) => Then(new TransformStep(description, transform));

    /// <summary>Iteratively denoises over <paramref name="timesteps"/> toward <paramref name="conditioning"/>.</summary>
    public DiffusionPipeline Denoise(INoisePredictor model, INoiseSchedule schedule, TimestepSequence timesteps, IConditioning conditioning)
        => Then(new DenoiseStep(model, schedule, timesteps, conditioning));

    /// <summary>Iteratively denoises with a model that knows its schedule.</summary>
    public DiffusionPipeline Denoise(IDiffusionModel model, TimestepSequence timesteps, IConditioning conditioning)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Denoise(model, model.Schedule, timesteps, conditioning);
    }

    /// <summary>Uses <paramref name="guidance"/> in every denoising loop (unless a loop overrides it).</summary>
    public DiffusionPipeline WithGuidance(IGuidance guidance)
    {
        ArgumentNullException.ThrowIfNull(guidance);
        return new DiffusionPipeline(_steps, Settings with { Guidance = guidance });
    }

    /// <summary>Uses <paramref name="sampler"/> in every denoising loop (unless a loop overrides it).</summary>
    public DiffusionPipeline WithSampler(ISampler sampler)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        return new DiffusionPipeline(_steps, Settings with { Sampler = sampler });
    }

    /// <summary>Adds a hook applied after every denoising step.</summary>
    public DiffusionPipeline WithHook(IStepHook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return new DiffusionPipeline(_steps, Settings with { Hooks = [.. Settings.Hooks, hook] });
    }

    /// <summary>
    /// RePaint inpainting: after every step, keep <paramref name="original"/> (noised to the current timestep) where
    /// <paramref name="mask"/> is 0 and the generated content where it is 1. The tensors must outlive the runs.
    /// </summary>
    public DiffusionPipeline Inpaint(Tensor original, Tensor mask) => WithHook(new InpaintingHook(original, mask));

    /// <summary>Captures x_t and x̂_0 every <paramref name="every"/> steps (and at the end of every loop) into the result.</summary>
    public DiffusionPipeline CaptureTrajectory(int every = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(every, 1);
        return new DiffusionPipeline(_steps, Settings with { CaptureEvery = every });
    }

    /// <summary>
    /// Checks the whole chain without touching any tensor: sources first, shapes, condition batches, hooks.
    /// Returns the final state shape.
    /// </summary>
    public long[] Validate()
    {
        long[]? shape = null;
        foreach (var step in _steps) shape = step.ValidateShape(shape, Settings);
        return shape ?? throw new InvalidOperationException("The pipeline has no source.");
    }

    /// <summary>Runs with <paramref name="seed"/> and returns the final sample (the caller owns it).</summary>
    public Tensor Run(long seed = 0, CancellationToken cancellationToken = default)
        => Run(new DiffusionRunOptions { Seed = seed }, null, cancellationToken).TakeSample();

    /// <summary>Runs synchronously on the calling thread.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled; the run stops before its next step.</exception>
    public DiffusionResult Run(DiffusionRunOptions options, IProgress<DiffusionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Validate();
        cancellationToken.ThrowIfCancellationRequested();

        using var generator = new Generator((ulong)options.Seed, CPU);
        var noise = options.NoiseSource ?? new GeneratorNoiseSource(generator);
        var context = new PipelineRunContext(options, Settings, noise, TotalDenoisingSteps, progress, cancellationToken);
        Tensor? state = null;
        try
        {
            foreach (var step in _steps)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var next = step.Execute(state, context);
                if (!ReferenceEquals(next, state)) state?.Dispose();
                state = next;
            }
            return new DiffusionResult(state!, context.Frames.ToList(), context.Elapsed, options.Seed);
        }
        catch
        {
            state?.Dispose();
            context.DisposeFrames();
            throw;
        }
    }

    /// <summary>Runs on a worker thread.</summary>
    public Task<DiffusionResult> RunAsync(DiffusionRunOptions options, IProgress<DiffusionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Task.Run(() => Run(options, progress, cancellationToken), cancellationToken);
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(" → ", _steps.Select(s => s.Description));
}
