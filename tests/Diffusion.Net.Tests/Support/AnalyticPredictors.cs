using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using Diffusion.Net.Testing;
using static TorchSharp.torch;

namespace Diffusion.Net.Tests.Support;

/// <summary>
/// The optimal noise predictor when the data is a single known image x*: ε*(x_t, t) = (x_t − √ᾱ_t x*)/√(1 − ᾱ_t).
/// With class labels, label k selects image k of <see cref="Images"/> and −1 the unconditional image.
/// </summary>
internal sealed class PointMassPredictor : IDiffusionModel
{
    public PointMassPredictor(INoiseSchedule schedule, Tensor image, Tensor? unconditional = null, Tensor? varianceValue = null)
    {
        Schedule = schedule;
        Images = image;
        Unconditional = unconditional;
        VarianceValue = varianceValue;
    }

    public INoiseSchedule Schedule { get; }

    /// <summary>[K, C, H, W] per class, or [1, C, H, W] for a single image.</summary>
    public Tensor Images { get; }

    public Tensor? Unconditional { get; }

    /// <summary>When set, the predictor also returns variance channels filled with this value.</summary>
    public Tensor? VarianceValue { get; }

    public int Calls { get; private set; }

    public List<long> BatchSizes { get; } = [];

    public NoisePrediction Predict(Tensor sample, Tensor timesteps, Condition condition)
    {
        Calls++;
        BatchSizes.Add(sample.shape[0]);
        using var scope = NewDisposeScope();
        var alphaBar = ForwardProcess.AlphaBarTensor(Schedule).index_select(0, timesteps).to(sample.dtype).reshape(-1, 1, 1, 1);
        Tensor target;
        if (condition is ClassCondition classes)
        {
            var rows = classes.Labels.Select(l => l < 0 ? Unconditional! : Images[l].unsqueeze(0)).ToArray();
            target = cat(rows, 0);
        }
        else target = Images.expand_as(sample);
        var eps = (sample - alphaBar.sqrt() * target) / (1 - alphaBar).sqrt();
        var variance = VarianceValue is null ? null : VarianceValue.expand_as(eps).clone();
        return new NoisePrediction(eps, variance).MoveToOuter(scope);
    }
}

/// <summary>
/// The optimal noise predictor for i.i.d. Gaussian pixels x_0 ~ N(μ, s²): with v_t = ᾱ_t s² + 1 − ᾱ_t,
/// E[ε | x_t] = √(1 − ᾱ_t) (x_t − √ᾱ_t μ) / v_t.
/// </summary>
internal sealed class GaussianDataPredictor(INoiseSchedule schedule, double mean, double std) : IDiffusionModel
{
    public INoiseSchedule Schedule { get; } = schedule;

    public NoisePrediction Predict(Tensor sample, Tensor timesteps, Condition condition)
    {
        using var scope = NewDisposeScope();
        var a = ForwardProcess.AlphaBarTensor(Schedule).index_select(0, timesteps).to(sample.dtype).reshape(-1, 1, 1, 1);
        var v = a * (std * std) + (1 - a);
        var eps = (1 - a).sqrt() * (sample - a.sqrt() * mean) / v;
        return new NoisePrediction(eps).MoveToOuter(scope);
    }
}

