using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Models;

/// <summary>diffusers' TimestepEmbedding: linear_1 → GELU → linear_2.</summary>
internal sealed class TimestepEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly LinearLayer linear_1;
    private readonly LinearLayer linear_2;

    /// <summary>Creates the embedding.</summary>
    public TimestepEmbedding(long inChannels, long timeEmbedDim, WeightAllocation allocation) : base(nameof(TimestepEmbedding))
    {
        linear_1 = new LinearLayer(inChannels, timeEmbedDim, allocation);
        linear_2 = new LinearLayer(timeEmbedDim, timeEmbedDim, allocation);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => linear_2.forward(nn.functional.gelu(linear_1.forward(x)));
}
