namespace Diffusion.Net.Imaging;

/// <summary>How pixel values map to tensor values.</summary>
public enum PixelRange
{
    /// <summary>[−1, 1]: DeepFloyd IF and diffusers' model space (x = 2·pixel/255 − 1; shown as x/2 + 0.5).</summary>
    MinusOneToOne,

    /// <summary>[0, 1]: CS180 Part B's MNIST range (torchvision's ToTensor).</summary>
    ZeroToOne,
}
