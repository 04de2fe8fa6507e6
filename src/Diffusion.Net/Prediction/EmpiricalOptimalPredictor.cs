using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Prediction;

/// <summary>
/// The exact minimum-error noise predictor for a finite dataset {x_k} (a model that has memorised its data), on any
/// process x = α·x_0 + σ·ε: it predicts x̂_0 = E[x_0 | x] = Σ_k w_k x_k with w = softmax_k(−‖x − α x_k‖² / (2σ²))
/// (for a discrete schedule α = √ᾱ_t, σ = √(1 − ᾱ_t)), which is defined at every level, pure noise and clean data
/// included. With class labels, the sum runs over that class's items (label −1: all items). It needs no training, so
/// every technique of the library can be run and checked against it; sampling from noise reproduces one of the
/// dataset's images.
/// </summary>
public sealed class EmpiricalOptimalPredictor : IDiffusionModel
{
    /// <summary>Creates the predictor.</summary>
    /// <param name="process">The diffusion process (a discrete schedule or rectified flow).</param>
    /// <param name="data">The dataset [K, C, H, W] (not owned; it must outlive the predictor).</param>
    /// <param name="labels">Optional class label per item (K entries, each ≥ 0).</param>
    public EmpiricalOptimalPredictor(IDiffusionProcess process, Tensor data, IReadOnlyList<int>? labels = null)
    {
        Process = process ?? throw new ArgumentNullException(nameof(process));
        ArgumentNullException.ThrowIfNull(data);
        if (data.dim() != 4 || data.shape[0] < 1) throw new ArgumentException($"The dataset must be [K, C, H, W] with K ≥ 1; got [{string.Join(", ", data.shape)}].", nameof(data));
        if (labels is not null && labels.Count != data.shape[0]) throw new ArgumentException($"{labels.Count} labels for {data.shape[0]} items.", nameof(labels));
        if (labels is not null && labels.Any(l => l < 0)) throw new ArgumentException("Labels must be non-negative.", nameof(labels));
        Data = data;
        Labels = labels?.ToArray();
    }

    /// <inheritdoc />
    public IDiffusionProcess Process { get; }

    /// <summary>The predictor answers with x̂_0 (<see cref="PredictionKind.Sample"/>).</summary>
    public PredictionKind OutputKind => PredictionKind.Sample;

    /// <summary>The dataset.</summary>
    public Tensor Data { get; }

    /// <summary>The labels, or null.</summary>
    public IReadOnlyList<int>? Labels { get; }

    /// <inheritdoc />
    public ModelPrediction Predict(Tensor sample, Tensor timesteps, Condition condition)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(timesteps);
        ArgumentNullException.ThrowIfNull(condition);
        if (sample.dim() != 4 || !sample.shape.Skip(1).SequenceEqual(Data.shape.Skip(1)))
            throw new ArgumentException($"Samples must be [B, {string.Join(", ", Data.shape.Skip(1))}]; got [{string.Join(", ", sample.shape)}].", nameof(sample));
        long batch = sample.shape[0], k = Data.shape[0];
        using var scope = NewDisposeScope();
        var (alpha, sigma) = ForwardProcess.Scales(Process, timesteps, ScalarType.Float64, sample.device);
        alpha = alpha.reshape(-1, 1);
        sigma = sigma.reshape(-1, 1);
        var x = sample.to(ScalarType.Float64).reshape(batch, -1);
        var data = Data.to(ScalarType.Float64, sample.device).reshape(k, -1);
        // ‖x − α x_k‖² = ‖x‖² − 2α x·x_k + α²‖x_k‖², in float64 so the softmax stays exact at small σ.
        var squared = x.pow(2).sum(1, keepdim: true) - 2 * alpha * x.matmul(data.t()) + alpha.pow(2) * data.pow(2).sum(1).unsqueeze(0);
        var logits = squared.neg() / (2 * sigma.pow(2));
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
        return new ModelPrediction(expected.reshape(sample.shape).to(sample.dtype), PredictionKind.Sample).MoveToOuter(scope);
    }
}
