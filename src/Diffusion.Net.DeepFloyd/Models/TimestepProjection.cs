using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Models;

/// <summary>
/// diffusers' sinusoidal timestep embedding (<c>Timesteps</c>, no weights): freq_k = exp(−ln(10000)·k/(half − shift)),
/// [sin(t·freq), cos(t·freq)], halves swapped when flip_sin_to_cos; computed in float32.
/// </summary>
internal static class TimestepProjection
{
    /// <summary>Embeds integer (or float) timesteps [B] into [B, dim] float32.</summary>
    public static Tensor Embed(Tensor timesteps, int dim, bool flipSinToCos, double freqShift)
    {
        ArgumentNullException.ThrowIfNull(timesteps);
        if (timesteps.dim() != 1) throw new ArgumentException($"Timesteps must be [B]; got [{string.Join(", ", timesteps.shape)}].", nameof(timesteps));
        using var scope = NewDisposeScope();
        int half = dim / 2;
        var exponent = arange(0, half, ScalarType.Float32, timesteps.device) * (-Math.Log(10000)) / (half - freqShift);
        var frequencies = exponent.exp();
        var args = timesteps.to(ScalarType.Float32).unsqueeze(1) * frequencies.unsqueeze(0);
        var emb = cat([args.sin(), args.cos()], 1);
        if (flipSinToCos) emb = cat([emb.narrow(1, half, half), emb.narrow(1, 0, half)], 1);
        if (dim % 2 == 1) emb = nn.functional.pad(emb, [0, 1]);
        return scope.MoveToOuter(emb);
    }
}
