using Diffusion.Net.Guidance;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using Diffusion.Net.Views;
using static TorchSharp.torch;

namespace Diffusion.Net.Pipelines;

/// <summary>
/// The denoising loop: a sampler run over a σ schedule, one sampler step at a time. A step calls the model through
/// the conditioning and guidance as often as its sampler needs; after it the hooks apply, a trajectory frame may be
/// kept and progress is reported. Each step runs in its own dispose scope under no-grad, cancellation is checked before
/// every model call, and the sampler run (with any history) is disposed when the loop ends, however it ends.
/// </summary>
internal sealed class DenoisingLoop : IPipelineLink
{
    private readonly Func<ISampler, SigmaSchedule> _schedule;
    private readonly string _scheduleDescription;

    private DenoisingLoop(INoisePredictor model, IDiffusionProcess process, Func<ISampler, SigmaSchedule> schedule, string scheduleDescription,
        IConditioning conditioning, IGuidance? guidance, ISampler? sampler)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Process = process ?? throw new ArgumentNullException(nameof(process));
        Conditioning = conditioning ?? throw new ArgumentNullException(nameof(conditioning));
        PredictionConversion.CheckFits(model.OutputKind, process);
        _schedule = schedule;
        _scheduleDescription = scheduleDescription;
        Guidance = guidance;
        Sampler = sampler;
    }

    /// <summary>A loop over explicit timesteps (the sampler's own grid is not used).</summary>
    public static DenoisingLoop Over(INoisePredictor model, IDiffusionProcess process, TimestepSequence timesteps, IConditioning conditioning,
        IGuidance? guidance = null, ISampler? sampler = null)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentNullException.ThrowIfNull(timesteps);
        var schedule = SigmaSchedule.FromTimesteps(process, timesteps);
        return new DenoisingLoop(model, process, _ => schedule, timesteps.ToString(), conditioning, guidance, sampler);
    }

    /// <summary>A loop over explicit noise levels.</summary>
    public static DenoisingLoop Over(INoisePredictor model, SigmaSchedule schedule, IConditioning conditioning, IGuidance? guidance = null, ISampler? sampler = null)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return new DenoisingLoop(model, schedule.Process, _ => schedule, schedule.ToString(), conditioning, guidance, sampler);
    }

    /// <summary>A loop of <paramref name="steps"/> steps on the sampler's own grid (diffusers' <c>set_timesteps(steps)</c>).</summary>
    public static DenoisingLoop Steps(INoisePredictor model, IDiffusionProcess process, int steps, IConditioning conditioning,
        IGuidance? guidance = null, ISampler? sampler = null)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        return new DenoisingLoop(model, process, s => s.CreateSchedule(process, steps), $"{steps} steps", conditioning, guidance, sampler);
    }

    public INoisePredictor Model { get; }

    public IDiffusionProcess Process { get; }

    public IConditioning Conditioning { get; }

    public IGuidance? Guidance { get; }

    public ISampler? Sampler { get; }

    public string Description => $"denoise {_scheduleDescription} toward {Conditioning}";

    public SigmaSchedule Schedule(PipelineSettings settings) => _schedule(Sampler ?? settings.Sampler);

    public int SamplerSteps(PipelineSettings settings) => Schedule(settings).StepCount;

    public long[] ValidateShape(long[]? input, PipelineSettings settings)
    {
        if (input is null) throw new InvalidOperationException("Denoising needs a starting state: begin with FromNoise(...) or From(...).");
        if (input.Length != 4) throw new ArgumentException($"Denoising works on [B, C, H, W] states; got [{Guard.Shape(input)}].");
        IEnumerable<Condition> conditions = Conditioning switch
        {
            Condition c => [c],
            ViewComposition v => v.Components.Select(p => p.Condition),
            _ => [],
        };
        foreach (var c in conditions)
        {
            if (c.BatchSize is { } b && b != 1 && b != input[0])
                throw new ArgumentException($"The condition {c} has batch {b}, but the state has batch {input[0]} (only batch 1 broadcasts).");
            Model.ValidateCondition(c);
        }
        Model.ValidateSample(input);
        var sampler = Sampler ?? settings.Sampler;
        sampler.Validate(Schedule(settings), Model.OutputKind);
        foreach (var hook in settings.Hooks) hook.ValidateShape(input);
        return input;
    }

    public Tensor Execute(Tensor? state, PipelineRunContext context)
    {
        ArgumentNullException.ThrowIfNull(state);
        var sampler = Sampler ?? context.Settings.Sampler;
        var schedule = Schedule(context.Settings);
        var denoiser = new LoopDenoiser(this, Guidance ?? context.Settings.Guidance, context, schedule.StepCount);
        context.PixelRange = Model.PixelRange;
        using var run = sampler.Start(schedule, context.Noise);
        Tensor x;
        using (no_grad()) x = run.Begin(state, context.StateIsPureNoise);
        try
        {
            for (int i = 0; i < schedule.StepCount; i++)
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                denoiser.StepIndex = i;
                using var step = run.Step(x, denoiser);
                var next = step.Next.alias();
                var reached = schedule[i + 1];
                double scale = run.StateScale(i + 1);
                foreach (var hook in context.Settings.Hooks) next = hook.AfterStep(next, reached.Scaled(scale), context);
                // Finite inputs can still overflow (a model's weights, an extreme guidance): stop at the first
                // non-finite state rather than hand back a NaN image.
                using (var finite = isfinite(next).all())
                {
                    if (!finite.item<bool>())
                        throw new NotFiniteNumberException($"The sample became NaN or infinite at step {i + 1} of {schedule.StepCount} ({Description}); check the model's weights and the guidance scale.");
                }
                var current = next;
                context.CompleteStep(schedule[i].Timestep, reached.Timestep, Description, () => scale == 1 ? current : current / scale,
                    step.PredictedOriginal, i == schedule.StepCount - 1);
                var carried = scope.MoveToOuter(next);
                x.Dispose();
                x = carried;
            }
            double endScale = run.StateScale(schedule.StepCount);
            if (endScale != 1)
            {
                using var noGrad = no_grad();
                var unscaled = x / endScale;
                x.Dispose();
                x = unscaled;
            }
            return x;
        }
        catch
        {
            x.Dispose();
            throw;
        }
    }

    /// <summary>The model as the sampler sees it: conditioning, guidance, cancellation and counting around every call.</summary>
    private sealed class LoopDenoiser(DenoisingLoop loop, IGuidance guidance, PipelineRunContext context, int stepCount) : IDenoiser
    {
        public int StepIndex { get; set; }

        public PredictionKind Kind => loop.Model.OutputKind;

        public ModelPrediction Predict(Tensor sample, NoiseLevel level)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            var prediction = loop.Conditioning.Predict(loop.Model, guidance, sample, new ModelCall(StepIndex, stepCount, level));
            context.ModelCalls++;
            if (prediction.Kind != Kind)
            {
                var kind = prediction.Kind;
                prediction.Dispose();
                throw new InvalidOperationException($"The model declares {Kind} outputs but returned {kind}; set its OutputKind to what it predicts.");
            }
            return prediction;
        }
    }
}
