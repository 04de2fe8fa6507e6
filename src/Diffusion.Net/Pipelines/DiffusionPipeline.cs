using System.Collections.Immutable;
using Diffusion.Net.Guidance;
using Diffusion.Net.Hosting;
using Diffusion.Net.Imaging;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Pipelines;

/// <summary>
/// A fluent, immutable description of a diffusion run: a source (noise or an image), then links such as forward
/// noising and denoising loops, plus run-wide settings (guidance, sampler, inpainting, trajectory capture).
/// Every method returns a new pipeline; a pipeline can be run any number of times with different seeds.
/// A denoising loop walks explicit timesteps (CS180's lists), explicit noise levels, or a step count on the sampler's
/// own grid (diffusers' <c>set_timesteps(n)</c>); the sampler decides how many model calls each step makes.
/// </summary>
/// <example>
/// <code>
/// using Tensor digits = DiffusionPipeline.FromNoise(40, 1, 28, 28)
///     .Denoise(unet, Timesteps.All(300), Condition.Classes(labels))       // Algorithm B.4: 300 DDPM steps
///     .WithGuidance(Guide.ClassifierFree(5))
///     .Run(seed: 0);
/// using Tensor fast = DiffusionPipeline.FromNoise(40, 1, 28, 28)
///     .Denoise(unet, 10, Condition.Classes(labels))                       // 10 DPM-Solver++(2M) steps
///     .WithSampler(Samplers.DpmSolverPlusPlus())
///     .WithGuidance(Guide.ClassifierFree(5))
///     .Run(seed: 0);
/// </code>
/// </example>
public sealed class DiffusionPipeline
{
    private readonly ImmutableArray<IPipelineLink> _links;

    private DiffusionPipeline(ImmutableArray<IPipelineLink> links, PipelineSettings settings)
    {
        _links = links;
        Settings = settings;
    }

    /// <summary>The links, in order.</summary>
    internal IReadOnlyList<IPipelineLink> Links => _links;

    /// <summary>A description of each link, in order.</summary>
    public IReadOnlyList<string> Description => _links.Select(l => l.Description).ToArray();

    /// <summary>The run-wide settings.</summary>
    public PipelineSettings Settings { get; }

    /// <summary>The number of sampler steps a run takes.</summary>
    public int TotalDenoisingSteps => _links.Sum(s => s.SamplerSteps(Settings));

    /// <summary>The number of model calls a run makes (a guided call counts once).</summary>
    public int TotalModelCalls => _links.OfType<DenoisingLoop>().Sum(l => (l.Sampler ?? Settings.Sampler).ModelCalls(l.Schedule(Settings)));

    /// <summary>Starts from pure Gaussian noise of shape [B, C, H, W] (drawn from the run's generator).</summary>
    public static DiffusionPipeline FromNoise(long batch, long channels, long height, long width)
        => Start(new NoiseSourceLink([batch, channels, height, width]));

    /// <summary>
    /// Starts from a standard normal draw the caller made ([B, C, H, W]; copied at run time), e.g. to continue a generator
    /// the caller has already drawn from. Samplers treat it as pure noise, as <see cref="FromNoise(long, long, long, long)"/>.
    /// </summary>
    public static DiffusionPipeline FromNoise(Tensor noise) => Start(new ImageSourceLink(noise, pureNoise: true));

    /// <summary>Starts from an image tensor ([B, C, H, W] or [C, H, W], in the model's range; copied at run time).</summary>
    public static DiffusionPipeline From(Tensor image) => Start(new ImageSourceLink(image));

    private static DiffusionPipeline Start(IPipelineLink source) => new([source], new PipelineSettings());

    private DiffusionPipeline Then(IPipelineLink link) => new(_links.Add(link), Settings);

    /// <summary>Applies the forward process to timestep <paramref name="timestep"/> (fresh noise): x = α·x_0 + σ·ε.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The timestep is outside the process.</exception>
    public DiffusionPipeline Noise(IDiffusionProcess process, double timestep)
    {
        ArgumentNullException.ThrowIfNull(process);
        return Then(new ForwardNoiseLink(process.At(timestep)));
    }

    /// <summary>Applies the forward process to entry <paramref name="index"/> of <paramref name="timesteps"/> (SDEdit's start).</summary>
    public DiffusionPipeline Noise(IDiffusionProcess process, TimestepSequence timesteps, int index)
    {
        ArgumentNullException.ThrowIfNull(timesteps);
        if ((uint)index >= (uint)timesteps.Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Index must lie in [0, {timesteps.Count - 1}].");
        return Noise(process, timesteps[index]);
    }

    /// <summary>Applies the forward process to level <paramref name="index"/> of <paramref name="schedule"/> (SDEdit's start on a sampler's grid).</summary>
    public DiffusionPipeline Noise(SigmaSchedule schedule, int index)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        if (index < 0 || index >= schedule.StepCount)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Index must lie in [0, {schedule.StepCount - 1}] (a level a step starts from).");
        return Then(new ForwardNoiseLink(schedule[index]));
    }

    /// <summary>Applies a shape-preserving transform (e.g. <c>x => GaussianBlur.Apply(x, 5, 2)</c>).</summary>
    public DiffusionPipeline Transform(string description, Func<Tensor, Tensor> transform) => Then(new TransformLink(description, transform));

    /// <summary>Iteratively denoises over <paramref name="timesteps"/> of <paramref name="process"/> toward <paramref name="conditioning"/>.</summary>
    public DiffusionPipeline Denoise(INoisePredictor model, IDiffusionProcess process, TimestepSequence timesteps, IConditioning conditioning)
        => Then(DenoisingLoop.Over(model, process, timesteps, conditioning));

    /// <summary>Iteratively denoises over <paramref name="timesteps"/> with a model that knows its process.</summary>
    public DiffusionPipeline Denoise(IDiffusionModel model, TimestepSequence timesteps, IConditioning conditioning)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Denoise(model, model.Process, timesteps, conditioning);
    }

    /// <summary>Iteratively denoises over explicit noise levels (a Karras grid, a sampler's grid from an index on, a σ list).</summary>
    public DiffusionPipeline Denoise(INoisePredictor model, SigmaSchedule schedule, IConditioning conditioning)
        => Then(DenoisingLoop.Over(model, schedule, conditioning));

    /// <summary>
    /// Iteratively denoises in <paramref name="steps"/> steps on the sampler's own grid (its spacing, Karras σ, shift, as
    /// diffusers' <c>set_timesteps(steps)</c>), resolved with whichever sampler the pipeline ends up using.
    /// </summary>
    public DiffusionPipeline Denoise(INoisePredictor model, IDiffusionProcess process, int steps, IConditioning conditioning)
        => Then(DenoisingLoop.Steps(model, process, steps, conditioning));

    /// <summary>Iteratively denoises in <paramref name="steps"/> steps on the sampler's own grid, with a model that knows its process.</summary>
    public DiffusionPipeline Denoise(IDiffusionModel model, int steps, IConditioning conditioning)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Denoise(model, model.Process, steps, conditioning);
    }

    /// <summary>Uses <paramref name="guidance"/> in every denoising loop.</summary>
    public DiffusionPipeline WithGuidance(IGuidance guidance)
    {
        ArgumentNullException.ThrowIfNull(guidance);
        return new DiffusionPipeline(_links, Settings with { Guidance = guidance });
    }

    /// <summary>Uses <paramref name="sampler"/> in every denoising loop.</summary>
    public DiffusionPipeline WithSampler(ISampler sampler)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        return new DiffusionPipeline(_links, Settings with { Sampler = sampler });
    }

    /// <summary>Adds a hook applied after every sampler step.</summary>
    public DiffusionPipeline WithHook(IStepHook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return new DiffusionPipeline(_links, Settings with { Hooks = [.. Settings.Hooks, hook] });
    }

    /// <summary>
    /// RePaint inpainting: after every step, keep <paramref name="original"/> (noised to the level reached) where
    /// <paramref name="mask"/> is 0 and the generated content where it is 1. The tensors must outlive the runs.
    /// </summary>
    public DiffusionPipeline Inpaint(Tensor original, Tensor mask) => WithHook(new InpaintingHook(original, mask));

    /// <summary>Captures x and x̂_0 every <paramref name="every"/> steps (and at the end of every loop) into the result.</summary>
    public DiffusionPipeline CaptureTrajectory(int every = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(every, 1);
        return new DiffusionPipeline(_links, Settings with { CaptureEvery = every });
    }

    /// <summary>
    /// Checks the whole chain without touching any tensor: sources first, shapes, condition batches, each loop's
    /// sampler against its schedule and the model's output kind, hooks. Returns the final state shape.
    /// </summary>
    public long[] Validate()
    {
        long[]? shape = null;
        foreach (var link in _links) shape = link.ValidateShape(shape, Settings);
        return shape ?? throw new InvalidOperationException("The pipeline has no source.");
    }

    /// <summary>Runs with <paramref name="seed"/> and returns the final sample (the caller owns it).</summary>
    public Tensor Run(long seed = 0, CancellationToken cancellationToken = default)
        => Run(new DiffusionRunOptions { Seed = seed }, null, cancellationToken).TakeSample();

    /// <summary>Runs synchronously on the calling thread.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled; the run stops before its next model call.</exception>
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
            foreach (var link in _links)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var next = link.Execute(state, context);
                if (!ReferenceEquals(next, state)) state?.Dispose();
                state = next;
                context.StateIsPureNoise = link.ProducesPureNoise;
            }
            if (context.PixelRange is { } range) state!.WithPixelRange(range);
            return new DiffusionResult(state!, context.Frames.ToList(), context.Elapsed, options.Seed);
        }
        catch
        {
            state?.Dispose();
            context.DisposeFrames();
            throw;
        }
        finally
        {
            if (options.ReleaseFreedMemory) NativeHeap.ReleaseAfterRun();
        }
    }

    /// <summary>Runs on a worker thread.</summary>
    public Task<DiffusionResult> RunAsync(DiffusionRunOptions options, IProgress<DiffusionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Task.Run(() => Run(options, progress, cancellationToken), cancellationToken);
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(" → ", _links.Select(s => s.Description));
}
