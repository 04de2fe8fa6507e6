using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>
/// What diffusers' σ-space schedulers share (Euler, Euler ancestral, Heun, and their flow-matching twins): the
/// <c>set_timesteps</c> grids, <c>init_noise_sigma</c>, <c>scale_model_input</c> and the checks of process and shift.
/// diffusers holds σ in float32 tensors; the scalar arithmetic here rounds where those tensors do.
/// </summary>
internal static class EulerFamily
{
    /// <summary>
    /// diffusers' Euler/Heun <c>set_timesteps(n)</c> on a discrete schedule: n spaced timesteps (fractional for
    /// linspace) with σ/α interpolated linearly (<c>np.interp</c>), or Karras σ between that grid's ends (or the given
    /// bounds) with log-σ timesteps, then the final σ.
    /// </summary>
    /// <param name="process">A discrete schedule.</param>
    /// <param name="steps">n.</param>
    /// <param name="options">The spacing and steps offset.</param>
    /// <param name="karras">Karras σ instead of the interpolated grid.</param>
    /// <param name="sigmaMin">The Karras σ_min, or null for the spaced grid's smallest σ/α.</param>
    /// <param name="sigmaMax">The Karras σ_max, or null for the spaced grid's largest σ/α.</param>
    /// <param name="final">Where the grid ends.</param>
    /// <param name="float32Timesteps">Round Karras timesteps to float32 (Euler stores them so; Heun keeps float64).</param>
    /// <param name="sampler">The sampler's name for messages.</param>
    public static SigmaSchedule VariancePreservingGrid(IDiffusionProcess process, int steps, SamplerOptions options, bool karras,
        double? sigmaMin, double? sigmaMax, FinalSigma final, bool float32Timesteps, string sampler)
    {
        if (process is not INoiseSchedule table)
            throw new ArgumentException($"{sampler} spaces its timesteps over a discrete schedule's table; {process} ({process.Kind}) has none.", nameof(process));
        var timesteps = DiffusersTimesteps.Sigma(options.Spacing, steps, table.Length, options.StepsOffset);
        var levels = timesteps.Select(t => process.At(t)).ToList();
        if (karras)
        {
            // diffusers' _convert_to_karras bounds the ρ-grid by the spaced grid's ends, unless the config overrides them.
            var grid = SigmaSchedule.Karras(process, steps, minimum: sigmaMin ?? levels[^1].NoiseToSignal, maximum: sigmaMax ?? levels[0].NoiseToSignal);
            levels = grid.Levels.Take(steps).Select(l => float32Timesteps ? l with { Timestep = (float)l.Timestep } : l).ToList();
        }
        if (final == FinalSigma.SigmaMin)
        {
            var last = process.At(0);
            if (!(last.NoiseToSignal < levels[^1].NoiseToSignal))
                throw new ArgumentException(FormattableString.Invariant(
                    $"{sampler}: FinalSigma.SigmaMin ends at the table's σ/α at t = 0 ({last.NoiseToSignal:G6}), which this grid already reaches (its last level is t = {levels[^1].Timestep:0.###}); diffusers would take a step of size zero there. Use FinalSigma.Zero, trailing spacing, leading spacing with a steps offset, or a Karras σ_min above it."),
                    nameof(final));
            levels.Add(last);
        }
        else levels.Add(process.At(process.CleanTimestep));
        return new SigmaSchedule(process, levels);
    }

    /// <summary>
    /// diffusers' <c>init_noise_sigma</c> for a VP run: σ_max for linspace and trailing spacing, √(σ_max² + 1) for
    /// leading (only the latter makes randn·scale the VE sample x/α of a unit-variance x).
    /// </summary>
    public static double InitNoiseSigma(NoiseLevel first, TimestepSpacing spacing)
    {
        float sigma = (float)first.NoiseToSignal;
        return spacing == TimestepSpacing.Leading ? MathF.Sqrt(sigma * sigma + 1f) : sigma;
    }

    /// <summary>diffusers' <c>scale_model_input</c>: the VE sample divided by √(σ² + 1), in float32 as diffusers computes the divisor.</summary>
    public static Tensor ModelInput(Tensor state, NoiseLevel level)
    {
        float sigma = (float)level.NoiseToSignal;
        return state / (double)MathF.Sqrt(sigma * sigma + 1f);
    }

    /// <summary>The level in VE coordinates (x/α = x_0 + (σ/α)·ε): α = 1, σ = σ/α.</summary>
    public static NoiseLevel VarianceExploding(NoiseLevel level) => level with { Alpha = 1, Sigma = level.NoiseToSignal };

    /// <summary>
    /// x̂_0 of a prediction for the state it was made from. On VP the state is x/α: ε is read at
    /// <paramref name="epsilonSigma"/> as <c>sample − σ̂·ε</c> (diffusers reads ε at σ̂ after churn), other kinds at the
    /// level itself. On rectified flow the state is x and the flow velocity gives <c>x − σ v</c>.
    /// </summary>
    public static Tensor Original(ModelPrediction prediction, Tensor state, NoiseLevel level, bool flow, float epsilonSigma)
    {
        if (flow) return prediction.ToOriginal(state, level);
        if (prediction.Kind == PredictionKind.Epsilon) return state - prediction.Output * epsilonSigma;
        return prediction.ToOriginal(state, VarianceExploding(level));
    }

    /// <summary>Whether a schedule is walked in flow coordinates.</summary>
    public static bool IsFlow(IDiffusionProcess process) => process.Kind == ProcessKind.RectifiedFlow;

    /// <summary>The σ a step of these samplers moves in: σ/α on VP (diffusers' <c>sigmas</c>), σ on flow; float32 as diffusers stores it.</summary>
    public static float StepSigma(NoiseLevel level, bool flow) => (float)(flow ? level.Sigma : level.NoiseToSignal);

    /// <summary>The checks of <see cref="ISampler.Validate"/> that Euler and Heun share.</summary>
    /// <param name="schedule">The schedule to walk.</param>
    /// <param name="kind">The model's output kind.</param>
    /// <param name="flowMatching">Whether the sampler is marked as the flow-matching variant.</param>
    /// <param name="shift">The options' time shift.</param>
    /// <param name="sampler">The sampler's name for messages.</param>
    /// <param name="vpSampler">What to use instead on a VP model (for the flow-matching variant's message).</param>
    public static void Check(SigmaSchedule schedule, PredictionKind kind, bool flowMatching, double shift, string sampler, string vpSampler)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var process = schedule.Process;
        PredictionConversion.CheckFits(kind, process);
        bool flow = IsFlow(process);
        if (flowMatching && !flow)
            throw new ArgumentException(
                $"{sampler} is a flow sampler on a VP model: it steps rectified flow's x along the flow velocity, but the schedule belongs to {process} ({process.Kind}). Use {vpSampler} for this model, or load a flow model with its process (RectifiedFlow).",
                nameof(schedule));
        CheckShift(process, shift, sampler);
        if (flow && kind == PredictionKind.Epsilon && schedule.First.Alpha == 0)
            throw new ArgumentException($"{sampler} cannot read an ε-prediction at rectified flow's pure noise (σ = 1, α = 0: x̂_0 = (x − σε)/α is undefined there). Use a flow-velocity or x̂_0 model, or start the schedule below σ = 1.", nameof(kind));
    }

    /// <summary>Throws if a time shift is set for a process it does not apply to.</summary>
    public static void CheckShift(IDiffusionProcess process, double shift, string sampler)
    {
        if (shift != 1 && !IsFlow(process))
            throw new ArgumentException(FormattableString.Invariant(
                $"{sampler}: the time shift ({shift}) applies to rectified flow's σ grid only; {process} is {process.Kind}. Leave Shift at 1 on a variance-preserving model."),
                nameof(process));
    }

    /// <summary>Throws if options that only shape a discrete schedule's grid are set on a flow process.</summary>
    public static void CheckFlowGrid(SamplerOptions options, bool karras, FinalSigma final, string sampler)
    {
        if (karras) throw new ArgumentException($"{sampler}: Karras σ is defined on a discrete schedule's σ/α range; rectified flow uses its shifted σ grid (Shift).", "process");
        if (final != FinalSigma.Zero) throw new ArgumentException($"{sampler}: on rectified flow the grid always ends on clean data (FinalSigma.Zero).", "process");
        if (options.Spacing != TimestepSpacing.Linspace || options.StepsOffset != 0)
            throw new ArgumentException($"{sampler}: on rectified flow σ is spaced evenly, then shifted; timestep spacing and steps_offset apply to discrete schedules.", "process");
    }
}
