using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Models;

/// <summary>
/// CS180 Part B §2.1: the time-conditioned UNet ε_θ(x_t, t). The normalised time t/T goes through two FCBlocks whose
/// outputs are added: fc1_t (1 → 2D) to "unflatten", fc2_t (1 → D) to "up1". D = 64 gives 1,996,417 parameters.
/// Trained with <see cref="MnistObjective.Flow"/> the same network is CS180's flow-matching u_θ(x_t, t) with t ∈ [0, 1].
/// </summary>
public sealed class TimeConditionalUNet : UNetBackbone, IDiffusionModel
{
    private readonly FCBlock fc1_t;
    private readonly FCBlock fc2_t;

    /// <summary>Creates the network.</summary>
    /// <param name="inChannels">Image channels.</param>
    /// <param name="hidden">D (CS180: 64).</param>
    /// <param name="schedule">The DDPM training schedule (default: CS180's linear 1e-4 … 0.02, T = 300); none for a flow model.</param>
    /// <param name="objective">What the network predicts: ε (DDPM) or CS180's flow velocity u.</param>
    public TimeConditionalUNet(long inChannels = 1, long hidden = 64, INoiseSchedule? schedule = null, MnistObjective objective = MnistObjective.Ddpm)
        : base(nameof(TimeConditionalUNet), inChannels, hidden)
    {
        fc1_t = new FCBlock(1, 2 * hidden);
        fc2_t = new FCBlock(1, hidden);
        (Objective, Schedule, Process) = MnistSchedules.ForObjective(objective, schedule);
        RegisterComponents();
    }

    /// <summary>What the network was built to predict.</summary>
    public MnistObjective Objective { get; }

    /// <summary>The DDPM training schedule (the discrete variance-preserving table); null for a flow model.</summary>
    public INoiseSchedule? Schedule { get; }

    /// <inheritdoc />
    public IDiffusionProcess Process { get; }

    /// <summary>ε for DDPM; for flow the engine's flow velocity v = −u (see <see cref="Predict"/>).</summary>
    public PredictionKind OutputKind => MnistSchedules.OutputKind(Objective);

    /// <summary>
    /// ε_θ(x, t) with t already normalised to (0, 1] ([N] float), as the CS180 skeleton's forward(x, t); for a flow model
    /// u_θ(x, t) with t ∈ [0, 1] (0 = noise, 1 = data).
    /// </summary>
    public Tensor forward(Tensor x, Tensor t)
    {
        var time = TimeInput(t, x);
        var t1 = fc1_t.forward(time).unsqueeze(-1).unsqueeze(-1);
        var t2 = fc2_t.forward(time).unsqueeze(-1).unsqueeze(-1);
        return Body(x, new Modulation(null, t1), new Modulation(null, t2));
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="condition"/> is <see cref="Condition.None"/>: the network takes no condition.</summary>
    public void ValidateCondition(Condition condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        if (condition is not NullCondition) throw new ArgumentException($"The time-conditioned UNet takes no condition; got {condition}.", nameof(condition));
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => throw new InvalidOperationException("The time-conditioned UNet needs a time input: call forward(x, t).");

    /// <summary>
    /// DDPM: ε̂ for timestep indices i ∈ [0, T − 1]; the network sees t/T with the paper's t = i + 1 (spec §4.5). Flow:
    /// the velocity for rectified-flow timesteps τ ∈ [0, 1000]; the network sees t = 1 − τ/1000 and its u is returned as
    /// v = −u (<see cref="MnistSchedules.FlowTime"/>). It takes no condition.
    /// </summary>
    public ModelPrediction Predict(Tensor sample, Tensor timesteps, Condition condition)
    {
        ValidateCondition(condition);
        using var scope = NewDisposeScope();
        if (Schedule is null)
        {
            var ft = MnistSchedules.FlowTime(timesteps, (RectifiedFlow)Process, sample);
            return new ModelPrediction(InModelPrecision(sample, x => forward(x, ft).neg()), PredictionKind.FlowVelocity).MoveToOuter(scope);
        }
        var t = MnistSchedules.NormalisedTime(timesteps, Schedule, sample);
        return new ModelPrediction(InModelPrecision(sample, x => forward(x, t))).MoveToOuter(scope);
    }

    internal static Tensor TimeInput(Tensor t, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.dim() != 1 || t.shape[0] != x.shape[0])
            throw new ArgumentException($"The time input must be [N] = [{x.shape[0]}]; got [{string.Join(", ", t.shape)}].", nameof(t));
        return t.to(x.dtype, x.device).unsqueeze(1);
    }
}
