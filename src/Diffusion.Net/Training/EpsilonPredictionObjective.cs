using static TorchSharp.torch;

namespace Diffusion.Net;

/// <summary>
/// DDPM's simplified objective (Ho et al. 2020; CS180 Algorithms B.1 and B.3): draw t uniformly from the schedule's
/// timesteps and ε ~ N(0, I), form x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε, and minimise ‖ε − ε_θ(x_t, t, c)‖². With class
/// labels, each row's label is replaced by the null class (−1) with probability <see cref="ConditionDropout"/>, so the
/// model also learns the unconditional estimate that classifier-free guidance needs.
/// </summary>
public sealed class EpsilonPredictionObjective : ITrainingObjective
{
    /// <summary>Creates the objective.</summary>
    /// <param name="model">The noise predictor being trained (its Predict must build a graph).</param>
    /// <param name="schedule">The noise schedule.</param>
    /// <param name="conditionDropout">p_uncond ∈ [0, 1] (CS180: 0.1); used only when batches carry labels.</param>
    /// <param name="useLabels">Condition on the batch labels (class-conditional training).</param>
    public EpsilonPredictionObjective(INoisePredictor model, INoiseSchedule schedule, double conditionDropout = 0.0, bool useLabels = false)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        if (!(conditionDropout >= 0 && conditionDropout <= 1)) throw new ArgumentOutOfRangeException(nameof(conditionDropout), conditionDropout, "The condition dropout must lie in [0, 1].");
        ConditionDropout = conditionDropout;
        UseLabels = useLabels;
    }

    /// <summary>The model.</summary>
    public INoisePredictor Model { get; }

    /// <summary>The schedule.</summary>
    public INoiseSchedule Schedule { get; }

    /// <summary>p_uncond.</summary>
    public double ConditionDropout { get; }

    /// <summary>Whether labels condition the model.</summary>
    public bool UseLabels { get; }

    /// <inheritdoc />
    public string Name => UseLabels ? FormattableString.Invariant($"ε-prediction, class-conditional (p_uncond={ConditionDropout})") : "ε-prediction";

    /// <inheritdoc />
    public Tensor Loss(TrainingBatch batch, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(generator);
        var x0 = batch.Images;
        long b = x0.shape[0];
        var cpu = CPU;
        using var t = randint(0, Schedule.Length, [b], ScalarType.Int64, cpu, generator: generator);
        using var noise = randn(x0.shape, ScalarType.Float32, cpu, generator: generator);
        using var noiseOnDevice = noise.to(x0.dtype, x0.device);
        using var tOnDevice = t.to(x0.device);
        using var xt = ForwardProcess.AddNoise(Schedule, x0, noiseOnDevice, tOnDevice);
        Condition condition = Condition.None;
        if (UseLabels)
        {
            if (batch.Labels is null) throw new InvalidOperationException("Class-conditional training needs labelled batches.");
            var labels = batch.Labels.cpu().data<long>().ToArray();
            using var drop = rand([b], ScalarType.Float64, cpu, generator: generator);
            var dropped = drop.data<double>().ToArray();
            for (int i = 0; i < labels.Length; i++) if (dropped[i] < ConditionDropout) labels[i] = -1;
            condition = new ClassCondition(labels);
        }
        using var prediction = Model.Predict(xt, tOnDevice, condition);
        return nn.functional.mse_loss(prediction.Epsilon.to(ScalarType.Float32), noiseOnDevice.to(ScalarType.Float32));
    }
}
