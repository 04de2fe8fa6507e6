using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;

namespace Diffusion.Net.Sampling;

/// <summary>
/// A sampler definition: an immutable, shareable description of how to walk a <see cref="SigmaSchedule"/> from noise
/// to data (DDPM, DDIM, DPM-Solver++, UniPC, Euler, Heun, …). It holds no weights and no per-run state; every run
/// gets its own <see cref="ISamplerRun"/>, which owns whatever history the method keeps (earlier model outputs, the
/// step index) and is disposed at the end of the run.
/// </summary>
/// <remarks>
/// This is diffusers' scheduler split in two, as ImageSharp splits a processor definition from its per-image
/// processor: the config and <c>set_timesteps</c> here (<see cref="CreateSchedule"/>), <c>step</c> and its state in the run.
/// </remarks>
public interface ISampler
{
    /// <summary>
    /// The noise levels this sampler walks for <paramref name="steps"/> steps on <paramref name="process"/>, as diffusers'
    /// <c>set_timesteps(steps)</c> computes them for this scheduler and its config (spacing, Karras σ, final σ, shift).
    /// </summary>
    /// <exception cref="ArgumentException">The process or the step count does not suit the sampler.</exception>
    SigmaSchedule CreateSchedule(IDiffusionProcess process, int steps);

    /// <summary>
    /// Checks, before any tensor is touched, that the sampler can walk <paramref name="schedule"/> with a model whose
    /// outputs are of <paramref name="kind"/>; throws a typed exception naming the value and the fix.
    /// </summary>
    void Validate(SigmaSchedule schedule, PredictionKind kind);

    /// <summary>How many model calls a run over <paramref name="schedule"/> makes (Heun: two per step but the last).</summary>
    int ModelCalls(SigmaSchedule schedule);

    /// <summary>Starts a run (validate first). Random draws come from <paramref name="noise"/>, in diffusers' order.</summary>
    ISamplerRun Start(SigmaSchedule schedule, INoiseSource noise);
}
