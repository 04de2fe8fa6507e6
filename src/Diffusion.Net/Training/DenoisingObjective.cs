using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Training;

/// <summary>
/// Direct denoising (CS180 Part B §1.2): z = x + σ ε with fresh noise per batch, minimise ‖D_θ(z) − x‖².
/// </summary>
public sealed class DenoisingObjective : ITrainingObjective
{
    private readonly Func<Tensor, Tensor> _denoiser;

    /// <summary>Creates the objective.</summary>
    /// <param name="denoiser">D_θ: noisy batch → clean estimate (builds a graph).</param>
    /// <param name="sigma">σ ≥ 0 (CS180: 0.5).</param>
    public DenoisingObjective(Func<Tensor, Tensor> denoiser, double sigma = 0.5)
    {
        _denoiser = denoiser ?? throw new ArgumentNullException(nameof(denoiser));
        if (!(sigma >= 0) || !double.IsFinite(sigma)) throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "σ must be a finite, non-negative number.");
        Sigma = sigma;
    }

    /// <summary>σ.</summary>
    public double Sigma { get; }

    /// <inheritdoc />
    public string Name => FormattableString.Invariant($"denoising (σ={Sigma})");

    /// <inheritdoc />
    public Tensor Loss(TrainingBatch batch, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var noise = randn(batch.Images.shape, ScalarType.Float32, CPU, generator: generator);
        using var noiseOnDevice = noise.to(batch.Images.dtype, batch.Images.device);
        using var z = GaussianNoising.Add(batch.Images, noiseOnDevice, Sigma);
        using var output = _denoiser(z);
        return nn.functional.mse_loss(output.to(ScalarType.Float32), batch.Images.to(ScalarType.Float32));
    }
}
