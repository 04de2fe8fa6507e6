namespace Diffusion.Net.Schedules;

/// <summary>How a schedule's table is rounded.</summary>
public enum SchedulePrecision
{
    /// <summary>Everything in float64: β in double, ᾱ as a running double product. The library's default.</summary>
    Float64,

    /// <summary>
    /// Bit-compatible with PyTorch/diffusers, which store β as float32, compute α = 1 − β in float32, and take
    /// the cumulative product with double accumulation rounded to float32 at every prefix. The values are held
    /// as doubles equal to those float32 numbers. Use it for parity with a diffusers scheduler.
    /// </summary>
    PyTorchFloat32,
}
