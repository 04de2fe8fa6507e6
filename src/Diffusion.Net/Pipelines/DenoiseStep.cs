using Diffusion.Net.Guidance;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using Diffusion.Net.Views;
using static TorchSharp.torch;

namespace Diffusion.Net.Pipelines;

/// <summary>
/// The iterative denoising loop: for each (t, t′) of the timestep sequence, estimate the noise through the
/// conditioning and guidance, take one sampler step, apply the hooks, report progress. Each step runs in its own
/// dispose scope under no-grad, so memory stays flat however long the loop.
/// </summary>
public sealed class DenoiseStep : IPipelineStep
{
    /// <summary>Creates the loop.</summary>
    /// <param name="model">The noise predictor (in evaluation mode).</param>
    /// <param name="schedule">The schedule it was trained with.</param>
    /// <param name="timesteps">The timesteps to walk.</param>
    /// <param name="conditioning">A condition or a view composition.</param>
    /// <param name="guidance">Overrides the pipeline's guidance for this loop.</param>
    /// <param name="sampler">Overrides the pipeline's sampler for this loop.</param>
    public DenoiseStep(INoisePredictor model, INoiseSchedule schedule, TimestepSequence timesteps, IConditioning conditioning,
        IGuidance? guidance = null, ISampler? sampler = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        Timesteps = timesteps ?? throw new ArgumentNullException(nameof(timesteps));
        Conditioning = conditioning ?? throw new ArgumentNullException(nameof(conditioning));
        timesteps.Validate(schedule.Length);
        Guidance = guidance;
        Sampler = sampler;
    }

    /// <summary>The model.</summary>
    public INoisePredictor Model { get; }

    /// <summary>The schedule.</summary>
    public INoiseSchedule Schedule { get; }

    /// <summary>The timesteps.</summary>
    public TimestepSequence Timesteps { get; }

    /// <summary>The conditioning.</summary>
    public IConditioning Conditioning { get; }

    /// <summary>The guidance override, or null.</summary>
    public IGuidance? Guidance { get; }

    /// <summary>The sampler override, or null.</summary>
    public ISampler? Sampler { get; }

    /// <inheritdoc />
    public string Description => $"denoise {Timesteps} toward {Conditioning}";

    /// <inheritdoc />
    public int DenoisingSteps => Timesteps.StepCount;

    /// <inheritdoc />
    public long[] ValidateShape(long[]? input, PipelineSettings settings)
    {
        if (input is null) throw new InvalidOperationException("Denoising needs a starting state: begin with FromNoise(...) or From(...).");
        if (input.Length != 4) throw new ArgumentException($"Denoising works on [B, C, H, W] states; got [{string.Join(", ", input)}].");
        IEnumerable<Condition> conditions = Conditioning switch
        {
            Condition c => [c],
            ViewComposition v => v.Components.Select(p => p.Condition),
            _ => [],
        };
        foreach (var c in conditions)
            if (c.BatchSize is { } b && b != 1 && b != input[0])
                throw new ArgumentException($"The condition {c} has batch {b}, but the state has batch {input[0]} (only batch 1 broadcasts).");
        foreach (var hook in settings.Hooks) hook.ValidateShape(input);
        return input;
    }

    /// <inheritdoc />
    public Tensor Execute(Tensor? state, PipelineRunContext context)
    {
        ArgumentNullException.ThrowIfNull(state);
        var guidance = Guidance ?? context.Settings.Guidance;
        var sampler = Sampler ?? context.Settings.Sampler;
        var x = state.alias();
        try
        {
            foreach (var (index, t, previous) in Timesteps.Steps())
            {
                context.CancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var stepContext = new DenoiseStepContext(index, Timesteps.StepCount, t, previous);
                using var prediction = Conditioning.Predict(Model, guidance, x, stepContext);
                using var step = sampler.Step(Schedule, x, prediction, t, previous, context.Noise);
                var next = step.PreviousSample.alias();
                foreach (var hook in context.Settings.Hooks) next = hook.AfterStep(next, previous, Schedule, context);
                context.CompleteStep(t, previous, Description, next, step.PredictedOriginal, index == Timesteps.StepCount - 1);
                var carried = scope.MoveToOuter(next);
                x.Dispose();
                x = carried;
            }
            return x;
        }
        catch
        {
            x.Dispose();
            throw;
        }
    }
}
