using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using Diffusion.Net.Testing;
using static TorchSharp.torch;

namespace Diffusion.Net.Tests.Support;

/// <summary>
/// The optimal noise predictor when the data is a single known image x*: ε*(x, τ) = (x − α x*)/σ on any process
/// x = α x_0 + σ ε (α = √ᾱ_t, σ = √(1 − ᾱ_t) for a discrete schedule). With class labels, label k selects image k of
/// <see cref="Images"/> and −1 the unconditional image. <see cref="Kind"/> makes it answer as x̂_0, v or a flow velocity.
/// </summary>
internal sealed class PointMassPredictor : IDiffusionModel
{
    public PointMassPredictor(IDiffusionProcess process, Tensor image, Tensor? unconditional = null, Tensor? varianceValue = null,
        PredictionKind kind = PredictionKind.Epsilon)
    {
        Process = process;
        Images = image;
        Unconditional = unconditional;
        VarianceValue = varianceValue;
        Kind = kind;
    }

    public IDiffusionProcess Process { get; }

    /// <summary>[K, C, H, W] per class, or [1, C, H, W] for a single image.</summary>
    public Tensor Images { get; }

    public Tensor? Unconditional { get; }

    /// <summary>When set, the predictor also returns variance channels filled with this value.</summary>
    public Tensor? VarianceValue { get; }

    public PredictionKind Kind { get; }

    public PredictionKind OutputKind => Kind;

    public int Calls { get; private set; }

    public List<long> BatchSizes { get; } = [];

    public List<double> Timesteps { get; } = [];

    public ModelPrediction Predict(Tensor sample, Tensor timesteps, Condition condition)
    {
        Calls++;
        BatchSizes.Add(sample.shape[0]);
        Timesteps.Add(timesteps[0].to(ScalarType.Float64).item<double>());
        using var scope = NewDisposeScope();
        var (alpha, sigma) = ForwardProcess.Scales(Process, timesteps, sample.dtype);
        alpha = alpha.reshape(-1, 1, 1, 1);
        sigma = sigma.reshape(-1, 1, 1, 1);
        Tensor target;
        if (condition is ClassCondition classes)
        {
            var rows = classes.Labels.Select(l => l < 0 ? Unconditional! : Images[l].unsqueeze(0)).ToArray();
            target = cat(rows, 0);
        }
        else target = Images.expand_as(sample);
        var eps = (sample - alpha * target) / sigma;
        var output = Kind switch
        {
            PredictionKind.Epsilon => eps,
            PredictionKind.Sample => target.clone(),
            PredictionKind.Velocity => alpha * eps - sigma * target,
            _ => eps - target,
        };
        var variance = VarianceValue is null ? null : VarianceValue.expand_as(eps).clone();
        return new ModelPrediction(output, Kind, variance).MoveToOuter(scope);
    }
}

/// <summary>
/// The optimal noise predictor for i.i.d. Gaussian pixels x_0 ~ N(μ, s²) on any process x = α x_0 + σ ε: with
/// v = α² s² + σ², E[ε | x] = σ (x − α μ) / v.
/// </summary>
internal sealed class GaussianDataPredictor(IDiffusionProcess process, double mean, double std) : IDiffusionModel
{
    public IDiffusionProcess Process { get; } = process;

    public ModelPrediction Predict(Tensor sample, Tensor timesteps, Condition condition)
    {
        using var scope = NewDisposeScope();
        var (alpha, sigma) = ForwardProcess.Scales(Process, timesteps, ScalarType.Float64);
        alpha = alpha.reshape(-1, 1, 1, 1);
        sigma = sigma.reshape(-1, 1, 1, 1);
        var v = alpha.pow(2) * (std * std) + sigma.pow(2);
        var eps = (sigma * (sample.to(ScalarType.Float64) - alpha * mean) / v).to(sample.dtype);
        return new ModelPrediction(eps).MoveToOuter(scope);
    }
}

