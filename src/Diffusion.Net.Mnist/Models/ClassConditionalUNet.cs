using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Models;

/// <summary>
/// CS180 Part B §2.4: the class-conditioned UNet ε_θ(x_t, t, c). The one-hot class c (all zeros for the null class)
/// multiplies and the time adds at the same two places: unflatten ← c1 ⊙ unflatten + t1, up1 ← c2 ⊙ up1 + t2, with
/// fc1_c: 10 → 2D, fc2_c: 10 → D. The spec's pseudo-code writes "+ t1" at up1, a typo (spec §4.4): t2 is used, as in
/// the time-only network and the diagrams. D = 64 gives 2,019,201 parameters. Trained with
/// <see cref="MnistObjective.Flow"/> the same network is CS180's class-conditioned flow u_θ(x_t, t, c), t ∈ [0, 1].
/// </summary>
public sealed class ClassConditionalUNet : UNetBackbone, IDiffusionModel
{
    private readonly FCBlock fc1_t;
    private readonly FCBlock fc2_t;
    private readonly FCBlock fc1_c;
    private readonly FCBlock fc2_c;

    /// <summary>Creates the network.</summary>
    /// <param name="inChannels">Image channels.</param>
    /// <param name="hidden">D (CS180: 64).</param>
    /// <param name="classes">Number of classes (10 digits).</param>
    /// <param name="schedule">The DDPM training schedule (default: CS180's linear 1e-4 … 0.02, T = 300); none for a flow model.</param>
    /// <param name="objective">What the network predicts: ε (DDPM) or CS180's flow velocity u.</param>
    public ClassConditionalUNet(long inChannels = 1, long hidden = 64, int classes = 10, INoiseSchedule? schedule = null, MnistObjective objective = MnistObjective.Ddpm)
        : base(nameof(ClassConditionalUNet), inChannels, hidden)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        Classes = classes;
        fc1_t = new FCBlock(1, 2 * hidden);
        fc2_t = new FCBlock(1, hidden);
        fc1_c = new FCBlock(classes, 2 * hidden);
        fc2_c = new FCBlock(classes, hidden);
        (Objective, Schedule, Process) = MnistSchedules.ForObjective(objective, schedule);
        RegisterComponents();
    }

    /// <summary>What the network was built to predict.</summary>
    public MnistObjective Objective { get; }

    /// <summary>ε for DDPM; for flow the engine's flow velocity v = −u (see <see cref="Predict"/>).</summary>
    public PredictionKind OutputKind => MnistSchedules.OutputKind(Objective);

    /// <summary>The number of classes.</summary>
    public int Classes { get; }

    /// <summary>The DDPM training schedule (the discrete variance-preserving table); null for a flow model.</summary>
    public INoiseSchedule? Schedule { get; }

    /// <inheritdoc />
    public IDiffusionProcess Process { get; }

    /// <summary>
    /// ε_θ(x, c, t) as the CS180 skeleton's forward(x, c, t, mask): c holds int64 labels [N] (−1 = null class),
    /// t is normalised [N], and rows where <paramref name="mask"/> is 0 get the null class.
    /// </summary>
    public Tensor forward(Tensor x, Tensor c, Tensor t, Tensor? mask = null)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (c.dim() != 1 || c.shape[0] != x.shape[0])
            throw new ArgumentException($"The class input must be [N] = [{x.shape[0]}] labels; got [{string.Join(", ", c.shape)}].", nameof(c));
        var time = TimeConditionalUNet.TimeInput(t, x);
        var labels = c.to(ScalarType.Int64, x.device);
        var keep = labels.ge(0);
        if (mask is not null) keep = keep.logical_and(mask.to(x.device).ne(0));
        var oneHot = nn.functional.one_hot(labels.clamp(0, Classes - 1), Classes).to(x.dtype) * keep.unsqueeze(1).to(x.dtype);
        var c1 = fc1_c.forward(oneHot).unsqueeze(-1).unsqueeze(-1);
        var c2 = fc2_c.forward(oneHot).unsqueeze(-1).unsqueeze(-1);
        var t1 = fc1_t.forward(time).unsqueeze(-1).unsqueeze(-1);
        var t2 = fc2_t.forward(time).unsqueeze(-1).unsqueeze(-1);
        return Body(x, new Modulation(c1, t1), new Modulation(c2, t2));
    }

    /// <summary>
    /// Throws unless <paramref name="condition"/> is class labels within the model's classes (−1 for none) or no
    /// condition; pipelines call it before the run, so a bad label fails before the first model call.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A label is ≥ <see cref="Classes"/>.</exception>
    /// <exception cref="ArgumentException">The condition is neither class labels nor none.</exception>
    public void ValidateCondition(Condition condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        switch (condition)
        {
            case NullCondition:
                return;
            case ClassCondition cc:
                for (int i = 0; i < cc.Labels.Count; i++)
                {
                    long l = cc.Labels[i];
                    if (l >= Classes)
                        throw new ArgumentOutOfRangeException(nameof(condition), l, $"Label {l} is outside the model's {Classes} classes (0 … {Classes - 1}, or −1 for none); it is entry {i} of the condition.");
                }
                return;
            default:
                throw new ArgumentException($"The class-conditioned UNet takes class labels or no condition; got {condition}.", nameof(condition));
        }
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => throw new InvalidOperationException("The class-conditioned UNet needs class and time inputs: call forward(x, c, t).");

    /// <summary>
    /// DDPM: ε̂ for timestep indices i ∈ [0, T − 1] (the network sees (i + 1)/T); flow: v = −u for rectified-flow
    /// timesteps τ (the network sees t = 1 − τ/1000); with a class condition (none = null class).
    /// </summary>
    public ModelPrediction Predict(Tensor sample, Tensor timesteps, Condition condition)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ValidateCondition(condition);
        long batch = sample.shape[0];
        var labels = condition switch
        {
            ClassCondition cc => cc.Repeat((int)batch) is ClassCondition r ? r.Labels.ToArray() : [],
            _ => Enumerable.Repeat(-1L, (int)batch).ToArray(),
        };
        using var scope = NewDisposeScope();
        var c = tensor(labels, ScalarType.Int64, sample.device);
        if (Schedule is null)
        {
            var ft = MnistSchedules.FlowTime(timesteps, (RectifiedFlow)Process, sample);
            return new ModelPrediction(InModelPrecision(sample, x => forward(x, c, ft).neg()), PredictionKind.FlowVelocity).MoveToOuter(scope);
        }
        var t = MnistSchedules.NormalisedTime(timesteps, Schedule, sample);
        return new ModelPrediction(InModelPrecision(sample, x => forward(x, c, t))).MoveToOuter(scope);
    }
}
