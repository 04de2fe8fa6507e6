using static TorchSharp.torch;

namespace Diffusion.Net.Schedules;

/// <summary>
/// The forward (noising) process of any <see cref="IDiffusionProcess"/>: x_τ = α(τ)·x_0 + σ(τ)·ε. For a discrete
/// variance-preserving schedule that is q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I), which also scales the image (CS180
/// Part A §1.1); for rectified flow x = (1 − σ)·x_0 + σ·ε. diffusers calls it <c>add_noise</c> (<c>scale_noise</c> for flow).
/// </summary>
public static class ForwardProcess
{
    /// <summary>x = α·x_0 + σ·ε at <paramref name="level"/>.</summary>
    /// <exception cref="ArgumentException">The noise shape differs from the image's.</exception>
    public static Tensor AddNoise(NoiseLevel level, Tensor original, Tensor noise)
    {
        Guard.SameShape(original, noise, "image", "noise");
        return original * level.Alpha + noise * level.Sigma;
    }

    /// <summary>x_τ for one timestep shared by the batch, with the given noise.</summary>
    /// <exception cref="ArgumentOutOfRangeException">τ is outside the process.</exception>
    /// <exception cref="ArgumentException">The noise shape differs from the image's.</exception>
    public static Tensor AddNoise(IDiffusionProcess process, Tensor original, Tensor noise, double timestep)
    {
        ArgumentNullException.ThrowIfNull(process);
        Guard.SameShape(original, noise, "image", "noise");
        return AddNoise(process.At(timestep), original, noise);
    }

    /// <summary>x_τ with a timestep per batch row (training: τ drawn per image).</summary>
    /// <param name="process">The process.</param>
    /// <param name="original">x_0, [B, …].</param>
    /// <param name="noise">ε, same shape.</param>
    /// <param name="timesteps">[B]: integer indices in [0, T − 1] for a discrete schedule, τ ∈ [0, T] for rectified flow.</param>
    public static Tensor AddNoise(IDiffusionProcess process, Tensor original, Tensor noise, Tensor timesteps)
    {
        ArgumentNullException.ThrowIfNull(process);
        Guard.SameShape(original, noise, "image", "noise");
        ArgumentNullException.ThrowIfNull(timesteps);
        if (timesteps.dim() != 1 || timesteps.shape[0] != original.shape[0])
            throw new ArgumentException($"Timesteps must be [B] = [{original.shape[0]}]; got [{Guard.Shape(timesteps.shape)}].", nameof(timesteps));
        using var scope = NewDisposeScope();
        var shape = new long[original.dim()];
        shape[0] = original.shape[0];
        for (int i = 1; i < shape.Length; i++) shape[i] = 1;
        Tensor result;
        if (process is INoiseSchedule schedule)
        {
            // Training's hot path: one gather from the float64 ᾱ table.
            if (timesteps.is_floating_point())
                throw new ArgumentException($"A discrete schedule's per-row timesteps must be integer indices; got {timesteps.dtype}.", nameof(timesteps));
            long min = timesteps.min().item<long>(), max = timesteps.max().item<long>();
            if (min < 0 || max >= schedule.Length)
                throw new ArgumentOutOfRangeException(nameof(timesteps), $"Timesteps must lie in [0, {schedule.Length - 1}]; got values in [{min}, {max}].");
            var a = AlphaBarTensor(schedule, original.device).index_select(0, timesteps.to(original.device)).reshape(shape);
            result = original * a.sqrt().to(original.dtype) + noise * (1 - a).sqrt().to(original.dtype);
        }
        else
        {
            var (alpha, sigma) = Scales(process, timesteps, original.dtype, original.device);
            result = original * alpha.reshape(shape) + noise * sigma.reshape(shape);
        }
        return scope.MoveToOuter(result);
    }

    /// <summary>x_τ with fresh noise from <paramref name="generator"/>.</summary>
    public static Tensor Sample(IDiffusionProcess process, Tensor original, double timestep, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(generator);
        using var noise = new Sampling.GeneratorNoiseSource(generator).Next(original.shape, original.dtype, original.device);
        return AddNoise(process, original, noise, timestep);
    }

    /// <summary>α(τ) and σ(τ) per row of <paramref name="timesteps"/> ([B], any real dtype), as [B] tensors.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A timestep is outside the process.</exception>
    public static (Tensor Alpha, Tensor Sigma) Scales(IDiffusionProcess process, Tensor timesteps, ScalarType dtype, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentNullException.ThrowIfNull(timesteps);
        if (timesteps.dim() != 1) throw new ArgumentException($"Timesteps must be [B]; got [{Guard.Shape(timesteps.shape)}].", nameof(timesteps));
        using var cpu = timesteps.to(ScalarType.Float64, CPU);
        var values = cpu.data<double>().ToArray();
        var alpha = new double[values.Length];
        var sigma = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            var level = process.At(values[i]);
            alpha[i] = level.Alpha;
            sigma[i] = level.Sigma;
        }
        return (tensor(alpha, ScalarType.Float64, device).to(dtype), tensor(sigma, ScalarType.Float64, device).to(dtype));
    }

    /// <summary>The ᾱ table of a discrete schedule as a float64 tensor [T].</summary>
    public static Tensor AlphaBarTensor(INoiseSchedule schedule, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return tensor(schedule.AlphaBars.ToArray(), ScalarType.Float64, device);
    }
}
