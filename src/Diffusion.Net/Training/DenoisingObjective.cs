using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Training;

/// <summary>
/// Direct denoising (CS180 Part B §1.2): z = x + σ ε with fresh noise per batch, minimise ‖D_θ(z) − x‖². With
/// <see cref="PureNoise"/> the input is ε alone (the flow version of Part B's "denoise pure noise" exercise): no input
/// carries any information about its target, so the best D_θ is the constant mean of the data, and what the trained
/// network outputs shows that an MSE denoiser regresses to the mean rather than generating.
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

    private DenoisingObjective(Func<Tensor, Tensor> denoiser) : this(denoiser, 0) => PureNoise = true;

    /// <summary>The "denoise pure noise" objective: z = ε, minimise ‖D_θ(ε) − x‖².</summary>
    /// <param name="denoiser">D_θ: noise batch → clean estimate (builds a graph).</param>
    public static DenoisingObjective FromPureNoise(Func<Tensor, Tensor> denoiser) => new(denoiser);

    /// <summary>Whether the input is pure noise rather than x + σε.</summary>
    public bool PureNoise { get; }

    /// <summary>σ.</summary>
    public double Sigma { get; }

    /// <inheritdoc />
    public string Name => PureNoise ? "denoising pure noise" : FormattableString.Invariant($"denoising (σ={Sigma})");

    /// <inheritdoc />
    public Tensor Loss(TrainingBatch batch, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var noise = randn(batch.Images.shape, ScalarType.Float32, CPU, generator: generator);
        using var noiseOnDevice = noise.to(batch.Images.dtype, batch.Images.device);
        using var z = PureNoise ? noiseOnDevice.alias() : GaussianNoising.Add(batch.Images, noiseOnDevice, Sigma);
        using var output = _denoiser(z);
        return nn.functional.mse_loss(output.to(ScalarType.Float32), batch.Images.to(ScalarType.Float32));
    }
}
