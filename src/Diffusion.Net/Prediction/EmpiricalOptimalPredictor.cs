using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Prediction;

/// <summary>
/// The exact minimum-error noise predictor for a finite dataset {x_k} (a model that has memorised its data):
/// E[x_0 | x_t] = Σ_k w_k x_k with w = softmax_k(−‖x_t − √ᾱ_t x_k‖² / (2(1 − ᾱ_t))), and
/// ε̂ = (x_t − √ᾱ_t E[x_0 | x_t]) / √(1 − ᾱ_t). With class labels, the sum runs over that class's items
/// (label −1: all items). It needs no training, so every technique of the library can be run and checked against
/// it; sampling from noise reproduces one of the dataset's images.
/// </summary>
public sealed class EmpiricalOptimalPredictor : IDiffusionModel
{
    /// <summary>Creates the predictor.</summary>
    /// <param name="schedule">The noise schedule.</param>
    /// <param name="data">The dataset [K, C, H, W] (not owned; it must outlive the predictor).</param>
    /// <param name="labels">Optional class label per item (K entries, each ≥ 0).</param>
    public EmpiricalOptimalPredictor(INoiseSchedule schedule, Tensor data, IReadOnlyList<int>? labels = null)
    {
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        ArgumentNullException.ThrowIfNull(data);
        if (data.dim() != 4 || data.shape[0] < 1) throw new ArgumentException($"The dataset must be [K, C, H, W] with K ≥ 1; got [{string.Join(", ", data.shape)}].", nameof(data));
        if (labels is not null && labels.Count != data.shape[0]) throw new ArgumentException($"{labels.Count} labels for {data.shape[0]} items.", nameof(labels));
        if (labels is not null && labels.Any(l => l < 0)) throw new ArgumentException("Labels must be non-negative.", nameof(labels));
        Data = data;
        Labels = labels?.ToArray();
    }

    /// <inheritdoc />
    public INoiseSchedule Schedule { get; }

    /// <summary>The dataset.</summary>
    public Tensor Data { get; }

    /// <summary>The labels, or null.</summary>
    public IReadOnlyList<int>? Labels { get; }

    /// <inheritdoc />
    public NoisePrediction Predict(Tensor sample, Tensor timesteps, Condition condition)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(timesteps);
        ArgumentNullException.ThrowIfNull(condition);
        if (sample.dim() != 4 || !sample.shape.Skip(1).SequenceEqual(Data.shape.Skip(1)))
            throw new ArgumentException($"Samples must be [B, {string.Join(", ", Data.shape.Skip(1))}]; got [{string.Join(", ", sample.shape)}].", nameof(sample));
        long batch = sample.shape[0], k = Data.shape[0];
        using var scope = NewDisposeScope();
        var alphaBar = ForwardProcess.AlphaBarTensor(Schedule, sample.device).index_select(0, timesteps.to(sample.device)).to(ScalarType.Float64).reshape(-1, 1);
        var x = sample.to(ScalarType.Float64).reshape(batch, -1);
        var data = Data.to(ScalarType.Float64, sample.device).reshape(k, -1);
        // ‖x_t − √ᾱ x_k‖² = ‖x_t‖² − 2√ᾱ x_t·x_k + ᾱ‖x_k‖², in float64 so the softmax stays exact at small t.
        var s = alphaBar.sqrt();
        var squared = x.pow(2).sum(1, keepdim: true) - 2 * s * x.matmul(data.t()) + alphaBar * data.pow(2).sum(1).unsqueeze(0);
        var logits = squared.neg() / (2 * (1 - alphaBar));
        if (condition is ClassCondition classes)
        {
            if (Labels is null) throw new InvalidOperationException("This predictor has no labels, so it cannot take class conditions.");
            var allowed = ones(batch, k, ScalarType.Bool, sample.device);
            for (int b = 0; b < batch; b++)
            {
                long label = classes.Labels[classes.Labels.Count == 1 ? 0 : b];
                if (label < 0) continue;
                var row = Labels.Select(l => l == label).ToArray();
                if (!row.Any(v => v)) throw new ArgumentException($"No dataset item has label {label}.", nameof(condition));
                allowed[b] = tensor(row, device: sample.device);
            }
            logits = logits.masked_fill(allowed.logical_not(), double.NegativeInfinity);
        }
        var weights = logits.softmax(1);
        var expected = weights.matmul(data);
        var eps = (x - s * expected) / (1 - alphaBar).sqrt();
        return new NoisePrediction(eps.reshape(sample.shape).to(sample.dtype)).MoveToOuter(scope);
    }
}
