using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Models;

/// <summary>
/// The conditioning applied at one of the body's two hooks: u ← scale ⊙ u + shift, with per-image scale and shift of
/// [N, C, 1, 1] (no scale for the time-only network). Held as tensors rather than a closure so that the body can run
/// the batch in row chunks and hand each chunk its own rows.
/// </summary>
internal readonly record struct Modulation(Tensor? Scale, Tensor Shift)
{
    /// <summary>The rows [start, start + length) of the batch.</summary>
    public Modulation Rows(long start, long length) =>
        new(Scale?.narrow(0, start, length), Shift.narrow(0, start, length));

    /// <summary>Disposes the row views <see cref="Rows"/> made; never call it on the caller's own tensors.</summary>
    public void DisposeViews()
    {
        Scale?.Dispose();
        Shift.Dispose();
    }

    /// <summary>
    /// scale ⊙ u + shift. Without a recorded gradient it writes into <paramref name="u"/>, which the body owns and
    /// reads nowhere else; with one it allocates, since autograd may keep u.
    /// </summary>
    public Tensor Apply(Tensor u)
    {
        if (!is_grad_enabled())
        {
            if (Scale is not null) u.mul_(Scale);
            return u.add_(Shift);
        }
        if (Scale is null) return u + Shift;
        using var scaled = Scale * u;
        return scaled + Shift;
    }
}
