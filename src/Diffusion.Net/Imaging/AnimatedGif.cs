using Diffusion.Net.IO;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using static TorchSharp.torch;

namespace Diffusion.Net.Imaging;

/// <summary>Animated GIFs of denoising trajectories.</summary>
public static class AnimatedGif
{
    /// <summary>Writes frames (each a tensor an image grid can take, or a batch shown as a grid) as a looping GIF, atomically.</summary>
    /// <param name="path">The destination.</param>
    /// <param name="frames">[B, C, H, W] batches (one grid per frame) or single images; all the same size.</param>
    /// <param name="columns">Grid columns for batch frames.</param>
    /// <param name="options">Grid options (range, scale, padding).</param>
    /// <param name="frameDelayMs">Time per frame.</param>
    /// <param name="finalFrameDelayMs">Time on the last frame.</param>
    public static void Save(string path, IReadOnlyList<Tensor> frames, int columns = 8, ImageGridOptions? options = null,
        int frameDelayMs = 80, int finalFrameDelayMs = 1500)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Count == 0) throw new ArgumentException("A GIF needs at least one frame.", nameof(frames));
        ArgumentOutOfRangeException.ThrowIfNegative(frameDelayMs);
        ArgumentOutOfRangeException.ThrowIfNegative(finalFrameDelayMs);
        var images = new List<Image<Rgb24>>();
        try
        {
            foreach (var f in frames)
                images.Add(f.dim() == 4 && f.shape[0] > 1 ? ImageGrid.Create(f, columns, options) : ImageGrid.Create([f], 1, options));
            Save(path, images, frameDelayMs, finalFrameDelayMs);
        }
        finally
        {
            foreach (var i in images) i.Dispose();
        }
    }

    /// <summary>Writes images (not disposed; all the same size) as a looping GIF, atomically.</summary>
    public static void Save(string path, IReadOnlyList<Image<Rgb24>> frames, int frameDelayMs = 80, int finalFrameDelayMs = 1500)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Count == 0) throw new ArgumentException("A GIF needs at least one frame.", nameof(frames));
        using var gif = frames[0].Clone();
        gif.Metadata.GetGifMetadata().RepeatCount = 0;
        for (int i = 1; i < frames.Count; i++)
        {
            if (frames[i].Width != gif.Width || frames[i].Height != gif.Height)
                throw new ArgumentException($"GIF frames must have the same size; frame {i} is {frames[i].Width}×{frames[i].Height}, frame 0 {gif.Width}×{gif.Height}.", nameof(frames));
            gif.Frames.AddFrame(frames[i].Frames.RootFrame);
        }
        for (int i = 0; i < gif.Frames.Count; i++)
            gif.Frames[i].Metadata.GetGifMetadata().FrameDelay = (i == gif.Frames.Count - 1 ? finalFrameDelayMs : frameDelayMs) / 10;
        AtomicFile.Write(path, s => gif.SaveAsGif(s, new GifEncoder { ColorTableMode = GifColorTableMode.Local }));
    }
}
