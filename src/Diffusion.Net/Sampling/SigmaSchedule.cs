using System.Collections.ObjectModel;
using Diffusion.Net.Schedules;

namespace Diffusion.Net.Sampling;

/// <summary>
/// The noise levels a denoising loop walks, from the noisiest to where it ends: k-diffusion's σ list, with the
/// timestep the model receives at each level. Entry i is where step i calls the model; the last entry is where the
/// loop ends (clean data, or a smallest noise level). The noise-to-signal ratio σ/α decreases strictly.
/// </summary>
/// <remarks>
/// Build one from a <see cref="TimestepSequence"/> (<see cref="FromTimesteps(IDiffusionProcess, TimestepSequence)"/>), from a
/// sampler's diffusers-style grid (<see cref="ISampler.CreateSchedule"/>), from Karras et al.'s ρ-spacing
/// (<see cref="Karras"/>), from rectified flow's shifted grid (<see cref="Flow"/>) or from any list of σ/α values
/// (<see cref="FromNoiseToSignal"/>).
/// </remarks>
public sealed class SigmaSchedule
{
    private readonly NoiseLevel[] _levels;

    /// <summary>Creates a schedule over <paramref name="levels"/> of <paramref name="process"/>.</summary>
    /// <exception cref="ArgumentException">Fewer than two levels, a timestep that is not finite, or σ/α not strictly decreasing.</exception>
    public SigmaSchedule(IDiffusionProcess process, IEnumerable<NoiseLevel> levels)
    {
        Process = process ?? throw new ArgumentNullException(nameof(process));
        ArgumentNullException.ThrowIfNull(levels);
        _levels = levels.ToArray();
        if (_levels.Length < 2)
            throw new ArgumentException($"A σ schedule needs at least two levels (a start and an end); got {_levels.Length}.", nameof(levels));
        for (int i = 0; i < _levels.Length; i++)
        {
            var l = _levels[i];
            if (!double.IsFinite(l.Timestep) || !(l.Alpha >= 0) || !(l.Sigma >= 0) || double.IsNaN(l.NoiseToSignal) || double.IsInfinity(l.Alpha) || double.IsInfinity(l.Sigma))
                throw new ArgumentException($"Level {i} ({l}) is not a valid noise level: its timestep must be finite and α, σ finite and non-negative.", nameof(levels));
            if (i > 0 && !(l.NoiseToSignal < _levels[i - 1].NoiseToSignal))
                throw new ArgumentException(
                    FormattableString.Invariant($"The σ list must decrease strictly: level {i} has σ/α = {l.NoiseToSignal:G6} after {_levels[i - 1].NoiseToSignal:G6} at level {i - 1}. Sort the values from the noisiest down, without repeats."),
                    nameof(levels));
        }
    }

    /// <summary>The process the levels belong to.</summary>
    public IDiffusionProcess Process { get; }

    /// <summary>The levels, noisiest first; the last is where the loop ends.</summary>
    public IReadOnlyList<NoiseLevel> Levels => new ReadOnlyCollection<NoiseLevel>(_levels);

    /// <summary>The number of steps (levels − 1).</summary>
    public int StepCount => _levels.Length - 1;

    /// <summary>Level <paramref name="index"/>.</summary>
    public NoiseLevel this[int index] => _levels[index];

    /// <summary>The first level (where the loop starts).</summary>
    public NoiseLevel First => _levels[0];

    /// <summary>The last level (where the loop ends).</summary>
    public NoiseLevel Last => _levels[^1];

    /// <summary>Whether the loop ends on clean data (σ = 0).</summary>
    public bool EndsClean => Last.IsClean;

    /// <summary>The model timesteps of the steps (all levels but the last).</summary>
    public IReadOnlyList<double> Timesteps => _levels.Take(StepCount).Select(l => l.Timestep).ToArray();

    /// <summary>The schedule from level <paramref name="index"/> on (SDEdit's "start at i_start"; a multistep method restarts its history there).</summary>
    /// <exception cref="ArgumentOutOfRangeException">No step would be left.</exception>
    public SigmaSchedule From(int index)
    {
        if (index < 0 || index >= StepCount)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Start index must lie in [0, {StepCount - 1}] so that at least one step is left.");
        return new SigmaSchedule(Process, _levels.Skip(index));
    }

    /// <summary>
    /// The levels of a timestep sequence: each entry at its timestep, then clean data when the sequence steps from its last
    /// entry (otherwise the last entry is the end).
    /// </summary>
    public static SigmaSchedule FromTimesteps(IDiffusionProcess process, TimestepSequence timesteps)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentNullException.ThrowIfNull(timesteps);
        if (process is INoiseSchedule schedule) timesteps.Validate(schedule.Length);
        var levels = timesteps.Values.Select(t => process.At(t)).ToList();
        // On rectified flow timestep 0 is already clean data: a sequence that ends there has reached it.
        if (timesteps.StepFromLast && !levels[^1].IsClean) levels.Add(process.At(process.CleanTimestep));
        return new SigmaSchedule(process, levels);
    }

    /// <summary>The levels at explicit (possibly fractional) model timesteps, then clean data when <paramref name="endClean"/>.</summary>
    public static SigmaSchedule FromTimesteps(IDiffusionProcess process, IReadOnlyList<double> timesteps, bool endClean = true)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentNullException.ThrowIfNull(timesteps);
        var levels = timesteps.Select(t => process.At(t)).ToList();
        if (endClean) levels.Add(process.At(process.CleanTimestep));
        return new SigmaSchedule(process, levels);
    }

    /// <summary>
    /// The levels of a list of noise-to-signal ratios σ/α (k-diffusion's σ), strictly decreasing; a final 0 is clean data.
    /// Each timestep is the process's (for a discrete schedule diffusers' log-σ interpolation, fractional); with
    /// <paramref name="roundTimesteps"/> it is rounded to an integer, as diffusers' DPM-Solver and UniPC do for Karras σ
    /// while still stepping with the exact σ.
    /// </summary>
    public static SigmaSchedule FromNoiseToSignal(IDiffusionProcess process, IReadOnlyList<double> noiseToSignal, bool roundTimesteps = false)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentNullException.ThrowIfNull(noiseToSignal);
        var levels = new List<NoiseLevel>(noiseToSignal.Count);
        for (int i = 0; i < noiseToSignal.Count; i++)
        {
            double r = noiseToSignal[i];
            if (!(r >= 0)) throw new ArgumentException(FormattableString.Invariant($"σ/α must be non-negative; entry {i} is {r}."), nameof(noiseToSignal));
            var level = process.AtNoiseToSignal(r);
            if (roundTimesteps && !level.IsClean) level = level with { Timestep = Math.Round(level.Timestep, MidpointRounding.ToEven) };
            levels.Add(level);
        }
        return new SigmaSchedule(process, levels);
    }

    /// <summary>
    /// Karras et al. (2022, eq. 5) ρ-spacing of σ/α between <paramref name="maximum"/> and <paramref name="minimum"/>
    /// (defaults: the process's largest and smallest, the table's σ at T − 1 and 0), <paramref name="steps"/> levels and
    /// then clean data: σ_i = (σ_max^{1/ρ} + i/(n − 1)·(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ. σ values are rounded to float32 as
    /// diffusers stores them.
    /// </summary>
    /// <param name="process">The process.</param>
    /// <param name="steps">n ≥ 1 model evaluations.</param>
    /// <param name="rho">ρ (7 in the paper and diffusers).</param>
    /// <param name="minimum">σ_min, or null for the process's.</param>
    /// <param name="maximum">σ_max, or null for the process's.</param>
    /// <param name="roundTimesteps">Round the model timesteps (diffusers' DPM-Solver and UniPC do; Euler and Heun do not).</param>
    /// <param name="final">Where the schedule ends after the n levels: clean data (the grid itself ends at σ_min).</param>
    public static SigmaSchedule Karras(IDiffusionProcess process, int steps, double rho = 7.0, double? minimum = null, double? maximum = null,
        bool roundTimesteps = false, FinalSigma final = FinalSigma.Zero)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if (!(rho > 0) || !double.IsFinite(rho)) throw new ArgumentOutOfRangeException(nameof(rho), rho, "ρ must be a positive number.");
        double max = maximum ?? process.At(process.MaxTimestep).NoiseToSignal;
        double min = minimum ?? SmallestNoiseToSignal(process);
        if (!(min > 0 && max > min && double.IsFinite(max)))
            throw new ArgumentOutOfRangeException(nameof(minimum), FormattableString.Invariant($"Karras σ needs 0 < σ_min < σ_max < ∞; got σ_min = {min}, σ_max = {max}."));
        if (final == FinalSigma.SigmaMin)
            throw new ArgumentException("A Karras grid already ends at σ_min, so FinalSigma.SigmaMin would repeat it (diffusers takes a no-op step there); use FinalSigma.Zero.", nameof(final));
        double minInv = Math.Pow(min, 1 / rho), maxInv = Math.Pow(max, 1 / rho);
        var levels = new List<NoiseLevel>(steps + 1);
        for (int i = 0; i < steps; i++)
        {
            double ramp = DiffusersTimesteps.Linspace(0, 1, steps, i);
            double ratio = Math.Pow(maxInv + ramp * (minInv - maxInv), rho);
            // diffusers maps the float64 σ to its timestep, then stores σ in float32.
            double timestep = process.AtNoiseToSignal(ratio).Timestep;
            if (roundTimesteps) timestep = Math.Round(timestep, MidpointRounding.ToEven);
            levels.Add(process.AtNoiseToSignal((float)ratio) with { Timestep = timestep });
        }
        levels.Add(process.At(process.CleanTimestep));
        return new SigmaSchedule(process, levels);
    }

    /// <summary>
    /// diffusers' <c>FlowMatchEulerDiscreteScheduler.set_timesteps</c> grid on rectified flow: n values of σ evenly from
    /// 1 to the training grid's smallest, the time shift σ ← sσ/(1 + (s − 1)σ) (Esser et al. 2024, SD3), then clean data.
    /// A shift above 1 spends more steps at high noise.
    /// </summary>
    /// <exception cref="ArgumentException">The process is not rectified flow, or the shift is not positive.</exception>
    public static SigmaSchedule Flow(IDiffusionProcess process, int steps, double shift = 1.0)
    {
        ArgumentNullException.ThrowIfNull(process);
        if (process is not RectifiedFlow flow)
            throw new ArgumentException($"The flow-matching σ grid needs a rectified-flow process; got {process} ({process.Kind}).", nameof(process));
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if (!(shift > 0) || !double.IsFinite(shift)) throw new ArgumentOutOfRangeException(nameof(shift), shift, "The time shift must be a positive number.");
        int t = flow.TrainingTimesteps;
        // The training grid (float32 in diffusers): σ = τ/T for τ = T … 1, shifted.
        float smallest = 1f / t;
        float shift32 = (float)shift;
        float sigmaMin = shift32 * smallest / (1f + (shift32 - 1f) * smallest);
        float sigmaMax = shift32 * 1f / (1f + (shift32 - 1f) * 1f);
        var levels = new List<NoiseLevel>(steps + 1);
        for (int i = 0; i < steps; i++)
        {
            double timestep = DiffusersTimesteps.Linspace((double)sigmaMax * t, (double)sigmaMin * t, steps, i);
            double s = timestep / t;
            float sigma = (float)(shift * s / (1 + (shift - 1) * s));
            levels.Add(NoiseLevel.Flow(sigma * (float)t, sigma));
        }
        levels.Add(NoiseLevel.Flow(0, 0));
        return new SigmaSchedule(process, levels);
    }

    /// <summary>
    /// The rectified-flow grid of diffusers' multistep solvers (<c>use_flow_sigmas</c> in DPM-Solver and UniPC): σ = 1 − α
    /// for α evenly from 1 to 1/T over n + 1 values, shifted, reversed, without its final 0 — so the grid starts just below
    /// pure noise at σ = 1 − 1/T, where λ = log(α/σ) is finite — then clean data. The model receives the timestep
    /// ⌊σ·T⌋ (diffusers casts it to int64) while the step uses σ itself (float32).
    /// </summary>
    /// <exception cref="ArgumentException">The process is not rectified flow, or the shift is not positive.</exception>
    public static SigmaSchedule FlowMultistep(IDiffusionProcess process, int steps, double shift = 1.0)
    {
        ArgumentNullException.ThrowIfNull(process);
        if (process is not RectifiedFlow flow)
            throw new ArgumentException($"The multistep flow σ grid needs a rectified-flow process; got {process} ({process.Kind}).", nameof(process));
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if (!(shift > 0) || !double.IsFinite(shift)) throw new ArgumentOutOfRangeException(nameof(shift), shift, "The time shift must be a positive number.");
        int t = flow.TrainingTimesteps;
        var levels = new List<NoiseLevel>(steps + 1);
        for (int i = 0; i < steps; i++)
        {
            // Reversed: entry i is the (n − i)-th of the ascending σ list.
            double alpha = DiffusersTimesteps.Linspace(1, 1.0 / t, steps + 1, steps - i);
            double sigma = 1 - alpha;
            sigma = shift * sigma / (1 + (shift - 1) * sigma);
            levels.Add(NoiseLevel.Flow(Math.Truncate(sigma * t), (float)sigma));
        }
        levels.Add(NoiseLevel.Flow(0, 0));
        return new SigmaSchedule(process, levels);
    }

    /// <summary>
    /// <paramref name="steps"/> equal steps in σ on rectified flow, from pure noise to clean data: σ_i = 1 − i/n for
    /// i = 0 … n. In the convention t = 1 − σ this is CS180's flow sampler, Euler at t = 0, 1/n, …, (n − 1)/n with step
    /// 1/n; diffusers' grid (<see cref="Flow"/>) differs from it only in ending its σ list at 1/T rather than 1/n.
    /// </summary>
    /// <exception cref="ArgumentException">The process is not rectified flow.</exception>
    public static SigmaSchedule FlowUniform(IDiffusionProcess process, int steps)
    {
        ArgumentNullException.ThrowIfNull(process);
        if (process is not RectifiedFlow flow)
            throw new ArgumentException($"Equal flow steps need a rectified-flow process; got {process} ({process.Kind}).", nameof(process));
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var levels = new List<NoiseLevel>(steps + 1);
        for (int i = 0; i < steps; i++)
        {
            double sigma = 1 - (double)i / steps;
            levels.Add(NoiseLevel.Flow(sigma * flow.TrainingTimesteps, sigma));
        }
        levels.Add(NoiseLevel.Flow(0, 0));
        return new SigmaSchedule(process, levels);
    }

    /// <summary>The smallest nonzero level a model was trained at: t = 0 of a table, τ = 1 (σ = 1/T) of rectified flow.</summary>
    private static double SmallestNoiseToSignal(IDiffusionProcess process) => process.At(process is INoiseSchedule ? 0 : 1).NoiseToSignal;

    /// <inheritdoc />
    public override string ToString()
    {
        string Ts(NoiseLevel l) => l.IsClean ? "clean" : FormattableString.Invariant($"{l.Timestep:0.##}");
        return _levels.Length <= 6
            ? "[" + string.Join(", ", _levels.Select(Ts)) + "]"
            : $"[{Ts(_levels[0])}, {Ts(_levels[1])}, {Ts(_levels[2])}, …, {Ts(_levels[^2])}, {Ts(_levels[^1])}] ({StepCount} steps)";
    }
}
