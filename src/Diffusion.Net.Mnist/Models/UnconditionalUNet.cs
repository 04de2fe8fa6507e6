using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Models;

/// <summary>
/// CS180 Part B §1: the unconditional UNet used as a single-step denoiser D_θ(z) ≈ x (trained at σ = 0.5, D = 128,
/// 7,891,073 parameters).
/// </summary>
public sealed class UnconditionalUNet : UNetBackbone
{
    /// <summary>Creates the network.</summary>
    /// <param name="inChannels">Image channels (1 for MNIST).</param>
    /// <param name="hidden">D (CS180: 128).</param>
    public UnconditionalUNet(long inChannels = 1, long hidden = 128) : base(nameof(UnconditionalUNet), inChannels, hidden)
        => RegisterComponents();

    /// <summary>D_θ(x): [N, C, 28, 28] → [N, C, 28, 28].</summary>
    public override Tensor forward(Tensor x) => Body(x, (Modulation?)null, null);
}
