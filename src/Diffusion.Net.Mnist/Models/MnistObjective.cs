namespace Diffusion.Net.Mnist.Models;

/// <summary>What a CS180 Part B UNet is trained to predict, and so how it is sampled.</summary>
public enum MnistObjective
{
    /// <summary>DDPM (fa24 Part B): ε on the T = 300 linear schedule; the network sees (i + 1)/T.</summary>
    Ddpm,

    /// <summary>
    /// Flow matching (CS180's newer Part B; rectified flow): u = x_1 − x_0 on x_t = (1 − t)·x_0 + t·x_1 from noise x_0 to
    /// data x_1; the network sees t ∈ [0, 1].
    /// </summary>
    Flow,
}
