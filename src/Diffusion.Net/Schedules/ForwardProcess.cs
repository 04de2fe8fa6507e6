using Diffusion.Net.Sampling;
using static TorchSharp.torch;

namespace Diffusion.Net.Schedules;

/// <summary>
/// The forward (noising) process q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I): x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε.
/// Note that it also scales the image (CS180 Part A §1.1); diffusers calls it <c>add_noise</c>.
/// </summary>
public static class ForwardProcess
{
    /// <summary>x_t for one timestep shared by the batch, with the given noise.</summary>
    /// <exception cref="ArgumentOutOfRangeException">t is outside the schedule.</exception>
    /// <exception cref="ArgumentException">The noise shape differs from the image's.</exception>
    public static Tensor AddNoise(INoiseSchedule schedule, Tensor original, Tensor noise, int timestep)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        SamplerMath.CheckSameShape(original, noise, "image", "noise");
        var c = StepCoefficients.Compute(schedule, SamplerMath.CheckTimestep(schedule, timestep, nameof(timestep)), -1);
        return original * c.SqrtAlphaBar + noise * c.SqrtBetaBar;
    }

    /// <summary>x_t with a timestep per batch row (training: t drawn per image).</summary>
    /// <param name="schedule">The schedule.</param>
    /// <param name="original">x_0, [B, …].</param>
    /// <param name="noise">ε, same shape.</param>
    /// <param name="timesteps">int64 [B], each in [0, T − 1].</param>
    public static Tensor AddNoise(INoiseSchedule schedule, Tensor original, Tensor noise, Tensor timesteps)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        SamplerMath.CheckSameShape(original, noise, "image", "noise");
        ArgumentNullException.ThrowIfNull(timesteps);
        if (timesteps.dim() != 1 || timesteps.shape[0] != original.shape[0])
            throw new ArgumentException($"Timesteps must be [B] = [{original.shape[0]}]; got [{string.Join(", ", timesteps.shape)}].", nameof(timesteps));
        using var scope = NewDisposeScope();
        long min = timesteps.min().item<long>(), max = timesteps.max().item<long>();
        if (min < 0 || max >= schedule.Length)
            throw new ArgumentOutOfRangeException(nameof(timesteps), $"Timesteps must lie in [0, {schedule.Length - 1}]; got values in [{min}, {max}].");
        var table = AlphaBarTensor(schedule, original.device).index_select(0, timesteps.to(original.device));
        var shape = new long[original.dim()];
        shape[0] = original.shape[0];
        for (int i = 1; i < shape.Length; i++) shape[i] = 1;
        var a = table.reshape(shape);
        var result = original * a.sqrt().to(original.dtype) + noise * (1 - a).sqrt().to(original.dtype);
        return scope.MoveToOuter(result);
    }

    /// <summary>x_t with fresh noise from <paramref name="generator"/>.</summary>
    public static Tensor Sample(INoiseSchedule schedule, Tensor original, int timestep, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(generator);
        using var noise = new GeneratorNoiseSource(generator).Next(original.shape, original.dtype, original.device);
        return AddNoise(schedule, original, noise, timestep);
    }

    /// <summary>The ᾱ table as a float64 tensor [T].</summary>
    public static Tensor AlphaBarTensor(INoiseSchedule schedule, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return tensor(schedule.AlphaBars.ToArray(), ScalarType.Float64, device);
    }
}
