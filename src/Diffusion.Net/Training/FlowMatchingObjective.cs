using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Training;

/// <summary>
/// Flow matching with the straight (rectified-flow) path, in CS180's convention: x_0 ~ N(0, I) is noise, x_1 a data
/// example, t ~ U[0, 1] (or logit-normal), x_t = (1 − t)·x_0 + t·x_1, and the loss ‖u_θ(x_t, t) − u‖² with the target
/// velocity u = x_1 − x_0 (Liu et al. 2023; Lipman et al. 2023). With class labels each row's label becomes the null
/// class (−1) with probability <see cref="ConditionDropout"/>, exactly as for ε-prediction.
/// </summary>
/// <remarks>
/// The sampling engine walks the same path on <see cref="RectifiedFlow"/>'s σ axis, x = (1 − σ)·x_data + σ·ε, and reads
/// the flow velocity v = dx/dσ = ε − x_data (diffusers' <c>FlowMatchEulerDiscreteScheduler</c>). So σ = 1 − t and
/// v = −u: the model is called at the timestep τ = σ·T = (1 − t)·T and its <see cref="PredictionKind.FlowVelocity"/>
/// output is v̂, so û = −v̂ and the loss is CS180's ‖û − u‖² term for term. A model written in CS180's terms (a network
/// of t that outputs u) maps its time and sign at its own boundary, once, rather than every sampler learning two conventions.
/// </remarks>
public sealed class FlowMatchingObjective : ITrainingObjective
{
    /// <summary>Creates the objective.</summary>
    /// <param name="model">The flow-velocity predictor being trained (its Predict must build a graph).</param>
    /// <param name="process">The rectified-flow process whose timesteps τ = σ·T the model reads.</param>
    /// <param name="conditionDropout">p_uncond ∈ [0, 1] (CS180: 0.1); used only when batches carry labels.</param>
    /// <param name="useLabels">Condition on the batch labels (class-conditional training).</param>
    /// <param name="time">How t is drawn.</param>
    /// <exception cref="ArgumentException">The model does not predict the flow velocity.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The dropout is outside [0, 1] or the distribution is unknown.</exception>
    public FlowMatchingObjective(INoisePredictor model, RectifiedFlow process, double conditionDropout = 0.0, bool useLabels = false,
        FlowTimeDistribution time = FlowTimeDistribution.Uniform)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Process = process ?? throw new ArgumentNullException(nameof(process));
        if (model.OutputKind != PredictionKind.FlowVelocity)
            throw new ArgumentException($"Flow-matching training needs a model that predicts the flow velocity; this one declares {model.OutputKind}.", nameof(model));
        if (!(conditionDropout >= 0 && conditionDropout <= 1)) throw new ArgumentOutOfRangeException(nameof(conditionDropout), conditionDropout, "The condition dropout must lie in [0, 1].");
        if (!Enum.IsDefined(time)) throw new ArgumentOutOfRangeException(nameof(time), time, "Unknown time distribution.");
        ConditionDropout = conditionDropout;
        UseLabels = useLabels;
        Time = time;
    }

    /// <summary>The model.</summary>
    public INoisePredictor Model { get; }

    /// <summary>The process.</summary>
    public RectifiedFlow Process { get; }

    /// <summary>p_uncond.</summary>
    public double ConditionDropout { get; }

    /// <summary>Whether labels condition the model.</summary>
    public bool UseLabels { get; }

    /// <summary>How t is drawn.</summary>
    public FlowTimeDistribution Time { get; }

    /// <inheritdoc />
    public string Name => "flow matching"
        + (UseLabels ? FormattableString.Invariant($", class-conditional (p_uncond={ConditionDropout})") : "")
        + (Time == FlowTimeDistribution.LogitNormal ? ", logit-normal t" : "");

    /// <summary>Draws t for <paramref name="count"/> rows (float32 on the CPU) from <paramref name="generator"/>.</summary>
    public Tensor DrawTimes(int count, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (Time == FlowTimeDistribution.Uniform) return rand([count], ScalarType.Float32, CPU, generator: generator);
        using var n = randn([count], ScalarType.Float32, CPU, generator: generator);
        return n.sigmoid();
    }

    /// <inheritdoc />
    public Tensor Loss(TrainingBatch batch, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(generator);
        using var scope = NewDisposeScope();
        var x1 = batch.Images;
        long b = x1.shape[0];
        var t = DrawTimes((int)b, generator);
        var x0 = randn(x1.shape, ScalarType.Float32, CPU, generator: generator).to(x1.device);
        Condition condition = UseLabels ? Training.ConditionDropout.Apply(batch, ConditionDropout, generator) : Condition.None;
        var data = x1.to(ScalarType.Float32);
        var tOnDevice = t.to(x1.device);
        var tb = tOnDevice.reshape(b, 1, 1, 1);
        var xt = ((1f - tb) * x0 + tb * data).to(x1.dtype);
        var timesteps = (1f - tOnDevice) * (float)Process.TrainingTimesteps;
        using var prediction = Model.Predict(xt, timesteps, condition);
        var u = data - x0;
        var uHat = prediction.Output.to(ScalarType.Float32).neg();
        return nn.functional.mse_loss(uHat, u).MoveToOuterDisposeScope();
    }
}
