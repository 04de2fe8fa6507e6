using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Training;

/// <summary>
/// DDPM's simplified objective (Ho et al. 2020; CS180 Algorithms B.1 and B.3): draw t uniformly from the schedule's
/// timesteps and ε ~ N(0, I), form x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε, and minimise ‖ε − ε_θ(x_t, t, c)‖². With class
/// labels, each row's label is replaced by the null class (−1) with probability <see cref="ConditionDropout"/>, so the
/// model also learns the unconditional estimate that classifier-free guidance needs.
/// </summary>
/// <remarks>
/// Optionally each row's squared error is weighted by min(SNR_t, γ) / SNR_t with SNR_t = ᾱ_t / (1 − ᾱ_t): the
/// Min-SNR-γ weighting of Hang et al. (2023), written for ε-prediction as in diffusers' training scripts
/// (<c>snr_gamma</c>). It stops the many nearly clean timesteps, whose ε is easy, from dominating the gradient,
/// so more of a short training budget goes to the noisy steps that decide a sample's shape.
/// </remarks>
public sealed class EpsilonPredictionObjective : ITrainingObjective
{
    /// <summary>Creates the objective.</summary>
    /// <param name="model">The noise predictor being trained (its Predict must build a graph).</param>
    /// <param name="schedule">The noise schedule.</param>
    /// <param name="conditionDropout">p_uncond ∈ [0, 1] (CS180: 0.1); used only when batches carry labels.</param>
    /// <param name="useLabels">Condition on the batch labels (class-conditional training).</param>
    /// <param name="minSnrGamma">γ of the Min-SNR-γ loss weighting (Hang et al. use 5); null weights every timestep equally, as DDPM.</param>
    /// <exception cref="ArgumentOutOfRangeException">The dropout is outside [0, 1] or γ is not a positive finite number.</exception>
    /// <exception cref="ArgumentException">The model does not predict ε.</exception>
    public EpsilonPredictionObjective(INoisePredictor model, INoiseSchedule schedule, double conditionDropout = 0.0, bool useLabels = false, double? minSnrGamma = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        if (model.OutputKind != PredictionKind.Epsilon)
            throw new ArgumentException($"ε-prediction training needs a model that predicts ε; this one declares {model.OutputKind}.", nameof(model));
        if (!(conditionDropout >= 0 && conditionDropout <= 1)) throw new ArgumentOutOfRangeException(nameof(conditionDropout), conditionDropout, "The condition dropout must lie in [0, 1].");
        ConditionDropout = conditionDropout;
        UseLabels = useLabels;
        if (minSnrGamma is { } gamma)
        {
            MinSnrGamma = CheckGamma(gamma, nameof(minSnrGamma));
            _weights = MinSnrWeights(schedule, gamma);
        }
    }

    private readonly float[]? _weights;

    /// <summary>The model.</summary>
    public INoisePredictor Model { get; }

    /// <summary>The schedule.</summary>
    public INoiseSchedule Schedule { get; }

    /// <summary>p_uncond.</summary>
    public double ConditionDropout { get; }

    /// <summary>Whether labels condition the model.</summary>
    public bool UseLabels { get; }

    /// <summary>γ of the Min-SNR-γ weighting, or null for DDPM's uniform weighting.</summary>
    public double? MinSnrGamma { get; }

    /// <inheritdoc />
    public string Name => (UseLabels ? FormattableString.Invariant($"ε-prediction, class-conditional (p_uncond={ConditionDropout})") : "ε-prediction")
        + (MinSnrGamma is { } g ? FormattableString.Invariant($", Min-SNR-{g} weighting") : "");

    /// <summary>The per-timestep loss weights min(SNR_t, γ) / SNR_t of the Min-SNR-γ weighting for ε-prediction.</summary>
    /// <param name="schedule">The schedule.</param>
    /// <param name="gamma">γ &gt; 0.</param>
    public static float[] MinSnrWeights(INoiseSchedule schedule, double gamma)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        CheckGamma(gamma, nameof(gamma));
        var w = new float[schedule.Length];
        for (int t = 0; t < w.Length; t++)
        {
            double a = schedule.AlphaBars[t], snr = a / (1 - a);
            // Written as a branch so that pure noise (ᾱ = 0, SNR = 0) gets the limit 1 rather than 0/0.
            w[t] = snr <= gamma ? 1f : (float)(gamma / snr);
        }
        return w;
    }

    private static double CheckGamma(double gamma, string parameter)
        => gamma > 0 && double.IsFinite(gamma) ? gamma : throw new ArgumentOutOfRangeException(parameter, gamma, "The Min-SNR γ must be a positive finite number.");

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
        if (UseLabels) condition = Training.ConditionDropout.Apply(batch, ConditionDropout, generator);
        using var prediction = Model.Predict(xt, tOnDevice, condition);
        using var predicted = prediction.Output.to(ScalarType.Float32);
        using var target = noiseOnDevice.to(ScalarType.Float32);
        if (_weights is null) return nn.functional.mse_loss(predicted, target);
        using var scope = NewDisposeScope();
        var perRow = nn.functional.mse_loss(predicted, target, nn.Reduction.None).reshape(b, -1).mean([1]);
        var rowWeights = tensor(_weights, ScalarType.Float32, cpu).index_select(0, t).to(perRow.device);
        return (perRow * rowWeights).mean().MoveToOuterDisposeScope();
    }
}
