namespace Diffusion.Net.Imaging;

/// <summary>How an image is brought to a square model size.</summary>
public enum ImageFit
{
    /// <summary>Resize straight to size × size, ignoring the aspect ratio (CS180's Campanile preprocessing).</summary>
    Stretch,

    /// <summary>Resize the shortest side to size, then center-crop (CS180's <c>process_pil_im</c>).</summary>
    CenterCrop,
}
