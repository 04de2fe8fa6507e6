using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Models;

/// <summary>
/// CS180 Part B §2.1: the time-conditioned UNet ε_θ(x_t, t). The normalised time t/T goes through two FCBlocks whose
/// outputs are added: fc1_t (1 → 2D) to "unflatten", fc2_t (1 → D) to "up1". D = 64 gives 1,996,417 parameters.
/// </summary>
public sealed class TimeConditionalUNet : UNetBackbone, IDiffusionModel
{
    private readonly FCBlock fc1_t;
    private readonly FCBlock fc2_t;

    /// <summary>Creates the network.</summary>
    /// <param name="inChannels">Image channels.</param>
    /// <param name="hidden">D (CS180: 64).</param>
    /// <param name="schedule">The training schedule (default: CS180's linear 1e-4 … 0.02, T = 300).</param>
    public TimeConditionalUNet(long inChannels = 1, long hidden = 64, INoiseSchedule? schedule = null)
        : base(nameof(TimeConditionalUNet), inChannels, hidden)
    {
        fc1_t = new FCBlock(1, 2 * hidden);
        fc2_t = new FCBlock(1, hidden);
        Schedule = schedule ?? MnistSchedules.Cs180();
        RegisterComponents();
    }

    /// <summary>The training schedule (the discrete variance-preserving table).</summary>
    public INoiseSchedule Schedule { get; }

    /// <inheritdoc />
    public IDiffusionProcess Process => Schedule;

    /// <summary>ε_θ(x, t) with t already normalised to (0, 1] ([N] float), as the CS180 skeleton's forward(x, t).</summary>
    public Tensor forward(Tensor x, Tensor t)
    {
        var time = TimeInput(t, x);
        var t1 = fc1_t.forward(time).unsqueeze(-1).unsqueeze(-1);
        var t2 = fc2_t.forward(time).unsqueeze(-1).unsqueeze(-1);
        return Body(x, u => u + t1, u => u + t2);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => throw new InvalidOperationException("The time-conditioned UNet needs a time input: call forward(x, t).");

    /// <summary>
    /// ε̂ for timestep indices i ∈ [0, T − 1]; the network sees t/T with the paper's t = i + 1 (spec §4.5). It takes no
    /// condition.
    /// </summary>
    public ModelPrediction Predict(Tensor sample, Tensor timesteps, Condition condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        if (condition is not NullCondition) throw new ArgumentException($"The time-conditioned UNet takes no condition; got {condition}.", nameof(condition));
        using var scope = NewDisposeScope();
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
