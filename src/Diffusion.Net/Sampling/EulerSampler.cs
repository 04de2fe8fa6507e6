using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>
/// The Euler step of the probability-flow ODE in σ (Karras et al. 2022, "Elucidating the Design Space of
/// Diffusion-Based Generative Models", algorithm 2 without its second-order correction), as diffusers'
/// <c>EulerDiscreteScheduler</c> on a variance-preserving process and <c>FlowMatchEulerDiscreteScheduler</c> on
/// rectified flow. With σ̂ = σ(1 + γ) and the step's x̂_0,
/// <code>
/// d = (x − x̂_0)/σ̂,   x′ = x + (σ′ − σ̂)·d
/// </code>
/// On VP the state x is diffusers' VE sample x/α = x_0 + (σ/α)·ε and σ is σ/α (x̂_0 = x − σ̂ ε̂ for an ε model); the
/// model sees x/√(σ² + 1). On rectified flow the state is the process's x, σ its own, and x̂_0 = x − σ v, so the step
/// is x′ = x + (σ′ − σ)·v (Lipman et al. 2023; Esser et al. 2024). Churn (S_churn &gt; 0) first raises the level to
/// σ̂ with fresh noise √(σ̂² − σ²)·S_noise·z.
/// </summary>
/// <remarks>
/// As in diffusers, the model is called at σ before the churn and its output is then read at σ̂ (Karras et al. call
/// the model at σ̂). The base options' x̂_0 limits, which diffusers' Euler has not, apply to x̂_0 before the step.
/// </remarks>
public sealed class EulerSampler : ISampler
{
    /// <summary>Creates the sampler.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public EulerSampler(EulerSamplerOptions? options = null)
    {
        Options = options ?? new EulerSamplerOptions();
        Options.Validate();
    }

    /// <summary>The options.</summary>
    public EulerSamplerOptions Options { get; }

    private string Name => Options.FlowMatching ? "FlowMatchEuler" : "Euler";

    /// <inheritdoc />
    public SigmaSchedule CreateSchedule(IDiffusionProcess process, int steps)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if (EulerFamily.IsFlow(process))
        {
            EulerFamily.CheckFlowGrid(Options, Options.KarrasSigmas, Options.FinalSigma, Name);
            return SigmaSchedule.Flow(process, steps, Options.Shift);
        }
        if (Options.FlowMatching)
            throw new ArgumentException($"FlowMatchEuler is a flow sampler on a VP model: it needs a rectified-flow process, and {process} is {process.Kind}. Use Euler (diffusers' EulerDiscreteScheduler) for this model.", nameof(process));
        EulerFamily.CheckShift(process, Options.Shift, Name);
        return EulerFamily.VariancePreservingGrid(process, steps, Options, Options.KarrasSigmas, Options.SigmaMin, Options.SigmaMax,
            Options.FinalSigma, float32Timesteps: true, Name);
    }

    /// <inheritdoc />
    public void Validate(SigmaSchedule schedule, PredictionKind kind)
        => EulerFamily.Check(schedule, kind, Options.FlowMatching, Options.Shift, Name, "Euler (diffusers' EulerDiscreteScheduler)");

    /// <inheritdoc />
    public int ModelCalls(SigmaSchedule schedule) => schedule?.StepCount ?? throw new ArgumentNullException(nameof(schedule));

    /// <inheritdoc />
    public ISamplerRun Start(SigmaSchedule schedule, INoiseSource noise) => new Run(Options, schedule, noise);

    /// <inheritdoc />
    public override string ToString()
    {
        var details = new List<string>();
        if (Options.FlowMatching || Options.Shift != 1) details.Add(FormattableString.Invariant($"shift {Options.Shift}"));
        if (Options.KarrasSigmas) details.Add("Karras");
        if (Options.SChurn > 0) details.Add(FormattableString.Invariant($"churn {Options.SChurn}"));
        string inner = (string.Join(", ", details) + Options.LimitsDescription()).TrimStart(',', ' ');
        return inner.Length == 0 ? Name : $"{Name}({inner})";
    }

    private sealed class Run(EulerSamplerOptions options, SigmaSchedule schedule, INoiseSource noise)
        : EulerFamilyRun(schedule, noise, options.Spacing)
    {
        protected override SamplerStep TakeStep(int index, Tensor sample, IDenoiser denoiser)
        {
            var level = Schedule[index];
            float sigma = StepSigma(level), sigmaNext = StepSigma(Schedule[index + 1]);
            // diffusers divides S_churn by its number of steps (len(sigmas) − 1).
            double gamma = options.SChurn > 0 && options.STMin <= sigma && sigma <= options.STMax
                ? Math.Min(options.SChurn / Schedule.StepCount, Math.Sqrt(2) - 1)
                : 0;
            float sigmaHat = sigma * (float)(gamma + 1);

            using var scope = NewDisposeScope();
            using var input = ModelInput(sample, level);
            using var prediction = Call(denoiser, input, level);
            var x = sample;
            if (options.SChurn > 0)
            {
                // Drawn on every step once churn is on (also where γ = 0), so the draws keep diffusers' order.
                var z = Noise.Next(prediction.Output.shape, sample.dtype, sample.device);
                if (gamma > 0) x = x + z * options.SNoise * (double)MathF.Sqrt(sigmaHat * sigmaHat - sigma * sigma);
            }
            var x0 = options.Limit(EulerFamily.Original(prediction, x, level, Flow, sigmaHat));
            var derivative = (x - x0) / sigmaHat;
            float dt = sigmaNext - sigmaHat;
            var next = x + derivative * dt;
            return new SamplerStep(scope.MoveToOuter(next), scope.MoveToOuter(x0.alias()));
        }
    }
}
