using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>Where a sampler's (and a pipeline's) random normal draws come from.</summary>
public interface INoiseSource
{
    /// <summary>Draws standard normal noise of <paramref name="shape"/>, returned in <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    Tensor Next(long[] shape, ScalarType dtype, Device device);
}
